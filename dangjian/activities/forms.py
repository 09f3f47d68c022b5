"""Forms of the activities pages; they only read input, the services decide."""

from datetime import date

from django import forms

from dangjian.activities.models import ActivityKind, ActivityStatus, AppliesTo, Frequency, KindCategory
from dangjian.core.forms import DateInput, StyledFormMixin


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (photos of a meeting, the scanned minutes …)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def kind_choices():
    return [("", "请选择")] + [(k.code, k.name) for k in ActivityKind.objects.filter(active=True)]


class ActivityFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", required=False)
    category = forms.ChoiceField(label="类别", required=False, choices=[("", "全部")] + KindCategory.choices)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + ActivityStatus.choices)
    date_from = forms.DateField(label="日期从", required=False, widget=DateInput())
    date_to = forms.DateField(label="日期至", required=False, widget=DateInput())
    q = forms.CharField(label="主题", required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "全部")] + kind_choices()[1:]


class ActivityForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="活动类型")
    status = forms.ChoiceField(
        label="状态", choices=[c for c in ActivityStatus.choices if c[0] != "cancelled"]
    )
    held_on = forms.DateField(label="日期", widget=DateInput())
    starts_at = forms.TimeField(label="开始时间", required=False, widget=TimeInput())
    ends_at = forms.TimeField(label="结束时间", required=False, widget=TimeInput())
    topic = forms.CharField(label="主题", max_length=200)
    place = forms.CharField(label="地点", max_length=120, required=False)
    group = forms.ChoiceField(label="党小组(党小组会时选择)", required=False)
    host = forms.CharField(label="主持人", max_length=50, required=False)
    recorder = forms.CharField(label="记录人", max_length=50, required=False)
    lecturer = forms.CharField(label="授课人(党课)", max_length=50, required=False)
    lecturer_is_secretary = forms.BooleanField(label="书记讲党课", required=False)
    first_topic = forms.CharField(label="第一议题", max_length=200, required=False)
    agenda = forms.CharField(
        label="其他议程", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="每行一项。"
    )
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    resolutions = forms.CharField(label="决议", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    study_hours = forms.DecimalField(
        label="学时",
        required=False,
        min_value=0,
        max_value=999,
        decimal_places=1,
        help_text="留空则按活动类型的默认学时。",
    )
    attachments = MultipleFileField(
        label="附件",
        required=False,
        help_text="会议记录扫描件、照片、PDF 等,可多选;每个不超过10MB,一次活动合计不超过30MB。",
    )
    partners = forms.ModelMultipleChoiceField(
        label="联合开展的党组织",
        required=False,
        queryset=None,
        help_text="结对共建、联建时选择;活动计入每个党组织。",
    )

    def __init__(self, *args, org=None, partner_orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        groups = list(org.groups.filter(dissolved_on__isnull=True)) if org is not None else []
        self.fields["group"].choices = [("", "不限(全体党员)")] + [(g.pk, g.name) for g in groups]
        self.fields["partners"].queryset = partner_orgs
        self.fields["partners"].widget.attrs["size"] = 4

    def agenda_items(self) -> list[dict]:
        items = []
        first = (self.cleaned_data.get("first_topic") or "").strip()
        if first:
            items.append({"title": first, "first_topic": True})
        for line in (self.cleaned_data.get("agenda") or "").splitlines():
            if line.strip():
                items.append({"title": line.strip(), "first_topic": False})
        return items


class UnlockForm(StyledFormMixin, forms.Form):
    earliest = forms.DateField(label="可补录的最早日期", widget=DateInput())
    valid_until = forms.DateField(label="解锁有效期至", widget=DateInput())
    reason = forms.CharField(label="事由", max_length=200)


class TrainingClassForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label="培训班名称", max_length=120)
    session = forms.IntegerField(label="期次", min_value=1, initial=1)
    started_on = forms.DateField(label="开班日期", widget=DateInput())
    ended_on = forms.DateField(label="结业日期", widget=DateInput())
    hours = forms.DecimalField(label="学时", min_value=0, max_value=999, decimal_places=1)
    place = forms.CharField(label="地点", max_length=120, required=False)
    trainees = forms.ModelMultipleChoiceField(label="学员(本组织党员)", required=False, queryset=None)
    other_trainees = forms.CharField(
        label="其他学员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不在名册中的学员,每行一个姓名。",
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainees"].queryset = members
        self.fields["trainees"].widget.attrs["size"] = 8


def year_choices(today: date) -> list[tuple[int, str]]:
    return [(y, f"{y}年") for y in range(today.year, today.year - 6, -1)]


class KindForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=40)
    code = forms.CharField(label="代码", max_length=40, help_text="英文字母、数字和下划线,如 red_tour。")
    category = forms.ChoiceField(label="类别", choices=KindCategory.choices)
    default_study_hours = forms.DecimalField(
        label="默认学时", min_value=0, max_value=999, decimal_places=1, initial=0
    )


class RuleForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="活动类型")
    label = forms.CharField(label="要求名称", max_length=60)
    frequency = forms.ChoiceField(label="频次", choices=Frequency.choices)
    times = forms.IntegerField(label="每期至少次数", min_value=1, max_value=99, initial=1)
    applies_to = forms.ChoiceField(label="适用对象", choices=AppliesTo.choices)
    secretary_lecturer = forms.BooleanField(label="须由书记讲授", required=False)
    effective_from = forms.DateField(
        label="生效日期",
        widget=DateInput(),
        help_text="自该日起开始的期间按新版本检查;同一类型、同一适用对象的旧版本在该日失效。",
    )
    source = forms.CharField(label="依据", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
