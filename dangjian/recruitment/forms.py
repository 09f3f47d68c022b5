"""Forms of the member development pages; the services do every check of the rules."""

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Category, Member
from dangjian.recruitment import rules
from dangjian.recruitment.models import StepKind


class CaseFilterForm(StyledFormMixin, forms.Form):
    stage = forms.TypedChoiceField(
        label="阶段",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "全部阶段"),
            (1, "一、申请入党"),
            (2, "二、积极分子"),
            (3, "三、发展对象"),
            (4, "四、接收预备党员"),
            (5, "五、教育考察和转正"),
        ],
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("open", "进行中"), ("completed", "已归档"), ("ended", "已终止"), ("all", "全部")],
    )
    warned = forms.BooleanField(label="只看有警示的", required=False)
    q = forms.CharField(label="姓名", required=False, max_length=50)


class StepForm(StyledFormMixin, forms.Form):
    occurred_on = forms.DateField(label="日期", widget=DateInput())
    done_by = forms.CharField(label="办理人(单位)", required=False, max_length=120)
    document_number = forms.CharField(label="文号", required=False, max_length=100)
    attachment = forms.FileField(label="附件", required=False, help_text="扫描件或照片,不超过10MB")
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, number: int, org=None, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number
        if number in (StepKind.MENTORS_ASSIGNED, StepKind.SPONSORS_CONFIRMED):
            choices = (
                Member.objects.on_roll()
                .filter(org=org, category=Category.FULL)
                .exclude(pk=getattr(member, "pk", None))
                .order_by("name")
            )
            label = (
                "入党介绍人(2名正式党员)"
                if number == StepKind.SPONSORS_CONFIRMED
                else "培养联系人(1至2名正式党员)"
            )
            self.fields["people"] = forms.ModelMultipleChoiceField(
                label=label, queryset=choices, widget=forms.SelectMultiple(attrs={"size": 8})
            )
        if number == StepKind.POLITICAL_REVIEW:
            self.fields["conclusion"] = forms.CharField(
                label="政治审查结论", widget=forms.Textarea(attrs={"rows": 3}), required=False
            )
        if number == StepKind.CENTRALIZED_TRAINING:
            self.fields["training_days"] = forms.IntegerField(label="培训天数", min_value=0, required=False)
            self.fields["training_hours"] = forms.IntegerField(label="培训学时", min_value=0, required=False)
        if number == StepKind.PRE_REVIEW:
            self.fields["publicity_from"] = forms.DateField(
                label="公示开始日期",
                required=False,
                widget=DateInput(),
                help_text="启用2026年修订规则集时必填",
            )
            self.fields["publicity_to"] = forms.DateField(
                label="公示结束日期", required=False, widget=DateInput()
            )
        if number in (StepKind.ADMISSION_MEETING, StepKind.CONVERSION_MEETING):
            for name, label in (
                ("should_attend", "应到会有表决权的正式党员"),
                ("present", "实到会有表决权的正式党员"),
                ("yes", "赞成"),
                ("no", "反对"),
                ("abstain", "弃权"),
            ):
                self.fields[name] = forms.IntegerField(label=label, min_value=0)
        # The mixin styled the fields it saw; style the ones added above.
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if "class" not in widget.attrs:
                widget.attrs["class"] = css

    def vote(self) -> rules.VoteCount | None:
        data = self.cleaned_data
        if "should_attend" not in data:
            return None
        return rules.VoteCount(
            data["should_attend"], data["present"], data["yes"], data["no"], data["abstain"]
        )

    def details(self) -> dict:
        names = ("conclusion", "training_days", "training_hours", "publicity_from", "publicity_to")
        return {n: self.cleaned_data.get(n) for n in names if self.cleaned_data.get(n) not in (None, "")}


class OpenCaseForm(StyledFormMixin, forms.Form):
    applied_on = forms.DateField(label="递交入党申请书日期", widget=DateInput())
    done_by = forms.CharField(label="接收人", required=False, max_length=120)
    document_number = forms.CharField(label="文号", required=False, max_length=100)
    attachment = forms.FileField(label="入党申请书(扫描件)", required=False)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssessmentForm(StyledFormMixin, forms.Form):
    assessed_on = forms.DateField(label="考察日期", widget=DateInput())
    assessed_by = forms.CharField(label="考察人", required=False, max_length=120)
    conclusion = forms.CharField(label="考察意见", widget=forms.Textarea(attrs={"rows": 3}))


class ExtendForm(StyledFormMixin, forms.Form):
    months = forms.IntegerField(
        label="延长月数", min_value=1, max_value=24, help_text="不少于6个月,最长1年,只能延长一次"
    )
    occurred_on = forms.DateField(label="决定日期", widget=DateInput())
    document_number = forms.CharField(label="文号", required=False, max_length=100)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EndForm(StyledFormMixin, forms.Form):
    ended_on = forms.DateField(label="终止日期", widget=DateInput())
    reason = forms.CharField(
        label="终止原因", max_length=200, help_text="预备党员终止即取消预备党员资格(记入党员事项)"
    )


class PlanForm(StyledFormMixin, forms.Form):
    org_code = forms.CharField(label="下级党组织编码", max_length=40)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quota = forms.IntegerField(label="计划发展数", min_value=0)
    under_35_share = forms.DecimalField(label="35岁及以下占比(%)", required=False, min_value=0, max_value=100)
    college_share = forms.DecimalField(
        label="大专及以上学历占比(%)", required=False, min_value=0, max_value=100
    )
    frontline_share = forms.DecimalField(
        label="生产工作一线占比(%)", required=False, min_value=0, max_value=100
    )
    note = forms.CharField(label="说明", required=False, max_length=200)


class RuleSetForm(StyledFormMixin, forms.Form):
    key = forms.CharField(widget=forms.HiddenInput())
    active = forms.BooleanField(label="启用", required=False)
    effective_from = forms.DateField(label="生效日期", required=False, widget=DateInput())
    note = forms.CharField(label="说明", required=False, max_length=200)


class YearForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
