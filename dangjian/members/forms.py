"""Forms of the member pages. They only shape input; the checks live in members/services.py."""

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members import rules
from dangjian.members.models import (
    CareKind,
    Category,
    Education,
    ExitReason,
    MemberEventKind,
    MemberTag,
    Occupation,
    Sex,
    Status,
)
from dangjian.members.queries import ROLL_CHOICES, SORTS
from dangjian.members.services import DISCIPLINE_KINDS, INITIAL_STATUSES, RECORDABLE_KINDS

SORT_LABELS = {
    "org": "按党组织",
    "name": "按姓名拼音",
    "-joined_on": "入党日期(新到旧)",
    "joined_on": "入党日期(旧到新)",
    "birth_date": "年龄(大到小)",
    "-birth_date": "年龄(小到大)",
    "category": "按人员类别",
}
ORG_INPUT = forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"})


def blank(label: str, choices) -> list:
    return [("", label), *choices]


class MemberFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="姓名或拼音首字母", required=False)
    id_number = forms.CharField(label="公民身份号码", required=False, help_text="完整号码,精确查找")
    category = forms.ChoiceField(
        label="人员类别", required=False, choices=blank("全部类别", Category.choices)
    )
    status = forms.ChoiceField(label="状态", required=False, choices=blank("全部状态", Status.choices))
    tag = forms.ChoiceField(label="台账", required=False)
    age_band = forms.TypedChoiceField(
        label="年龄段",
        required=False,
        coerce=int,
        empty_value=None,
        choices=blank("全部年龄", [(i, band[0]) for i, band in enumerate(rules.AGE_BANDS)]),
    )
    education = forms.ChoiceField(label="学历", required=False, choices=blank("全部学历", Education.choices))
    joined_from = forms.DateField(label="入党日期自", required=False, widget=DateInput())
    joined_to = forms.DateField(label="至", required=False, widget=DateInput())
    roll = forms.ChoiceField(label="在册", required=False, choices=ROLL_CHOICES)
    sort = forms.ChoiceField(label="排序", required=False, choices=[(k, SORT_LABELS[k]) for k in SORTS])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = blank("全部台账", [(t.code, t.name) for t in MemberTag.objects.all()])


def tag_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label="台账标签",
        required=False,
        queryset=MemberTag.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )


class ProfileFields(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    sex = forms.ChoiceField(label="性别", required=False, choices=blank("按身份证号", Sex.choices))
    ethnicity = forms.CharField(label="民族", max_length=20, initial="汉族")
    birth_date = forms.DateField(
        label="出生日期", required=False, widget=DateInput(), help_text="不填则按身份证号"
    )
    native_place = forms.CharField(label="籍贯", max_length=60, required=False)
    education = forms.ChoiceField(label="学历", required=False, choices=blank("—", Education.choices))
    occupation = forms.ChoiceField(label="职业", required=False, choices=blank("—", Occupation.choices))
    work_unit = forms.CharField(label="工作单位", max_length=120, required=False)
    post = forms.CharField(label="职务(岗位)", max_length=60, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="家庭住址", max_length=200, required=False)
    applied_on = forms.DateField(label="申请入党日期", required=False, widget=DateInput())


class MemberCreateForm(StyledFormMixin, ProfileFields):
    id_number = forms.CharField(label="公民身份号码", max_length=24, help_text="18位;15位旧号码将自动升位")
    org_code = forms.CharField(label="所在党组织(组织编码)", max_length=40, widget=ORG_INPUT)
    category = forms.ChoiceField(label="人员类别", choices=Category.choices, initial=Category.FULL)
    status = forms.ChoiceField(
        label="党员状态", choices=[(s.value, s.label) for s in INITIAL_STATUSES], initial=Status.NORMAL
    )
    joined_on = forms.DateField(
        label="入党日期", required=False, widget=DateInput(), help_text="接收为预备党员之日"
    )
    converted_on = forms.DateField(label="转正日期", required=False, widget=DateInput())

    field_order = ["name", "id_number", "sex", "birth_date", "org_code", "category", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"] = tag_field()


class MemberEditForm(StyledFormMixin, ProfileFields):
    id_number = forms.CharField(
        label="公民身份号码", max_length=24, required=False, help_text="不修改请留空(原号码不在页面上显示)"
    )
    field_order = ["name", "id_number", "sex", "birth_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"] = tag_field()


class EventForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="事项", choices=[(k, MemberEventKind(k).label) for k in RECORDABLE_KINDS])
    occurred_on = forms.DateField(
        label="发生日期", required=False, widget=DateInput(), help_text="不填则为今天"
    )
    document_number = forms.CharField(label="文号", max_length=100, required=False)
    months = forms.IntegerField(label="延长预备期(月)", required=False, help_text="延长预备期时填写:6至12")
    reason = forms.ChoiceField(
        label="出党方式",
        required=False,
        choices=blank(
            "—", [(r.value, r.label) for r in ExitReason if r not in ("deceased", "probation_cancelled")]
        ),
    )
    destination = forms.CharField(label="流入地", max_length=120, required=False, help_text="外出流动时填写")
    fixed_place = forms.BooleanField(label="在流入地有固定地点", required=False, initial=True)
    destination_org_name = forms.CharField(label="流入地党组织", max_length=120, required=False)
    contact_person = forms.CharField(label="联系人", max_length=60, required=False)
    mobility_card_number = forms.CharField(label="流动党员活动证号", max_length=40, required=False)
    title = forms.CharField(label="表彰名称", max_length=120, required=False)
    level = forms.CharField(label="表彰级别", max_length=40, required=False)
    discipline = forms.ChoiceField(
        label="处分种类", required=False, choices=blank("—", [(d, d) for d in DISCIPLINE_KINDS])
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    DETAIL_FIELDS = (
        "months",
        "reason",
        "destination",
        "fixed_place",
        "destination_org_name",
        "contact_person",
        "mobility_card_number",
        "title",
        "level",
        "discipline",
    )


class TransferForm(StyledFormMixin, forms.Form):
    to_org_code = forms.CharField(
        label="转入党组织(本系统,组织编码)", max_length=40, required=False, widget=ORG_INPUT
    )
    outside_org_name = forms.CharField(
        label="或:系统外党组织名称", max_length=120, required=False, help_text="转往本系统以外时填写"
    )
    letter_number = forms.CharField(label="介绍信编号", max_length=60)
    issued_on = forms.DateField(
        label="开具日期", required=False, widget=DateInput(), help_text="不填则为今天"
    )
    reason = forms.CharField(label="转接原因", max_length=200, required=False)
    dues_paid_until = forms.DateField(
        label="党费交至(月份)", required=False, widget=DateInput(), help_text="填该月任一天"
    )


class ReturnForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="退回原因", max_length=200)
    returned_on = forms.DateField(label="退回日期", required=False, widget=DateInput())


class ReceiptForm(StyledFormMixin, forms.Form):
    receipt_number = forms.CharField(label="回执编号", max_length=60, required=False)
    receipt_on = forms.DateField(label="回执日期", required=False, widget=DateInput())


class ReceiveForm(MemberCreateForm):
    outside_org_name = forms.CharField(label="转出党组织(系统外)", max_length=120)
    letter_number = forms.CharField(label="介绍信编号", max_length=60)
    received_on = forms.DateField(label="接收日期", required=False, widget=DateInput())
    dues_paid_until = forms.DateField(label="党费交至(月份)", required=False, widget=DateInput())

    field_order = [
        "outside_org_name",
        "letter_number",
        "received_on",
        "dues_paid_until",
        *MemberCreateForm.field_order,
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.value, c.label) for c in (Category.FULL, Category.PROBATIONARY)]


class ContactForm(StyledFormMixin, forms.Form):
    contacted_on = forms.DateField(label="联系日期", required=False, widget=DateInput())
    method = forms.CharField(label="方式", max_length=30, required=False, help_text="电话、微信、走访……")
    note = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))


class CareForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=CareKind.choices)
    occurred_on = forms.DateField(label="日期", required=False, widget=DateInput())
    given_by = forms.CharField(label="慰问(帮扶)人", max_length=120)
    content = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(
        label="金额(元)", required=False, min_value=0, decimal_places=2, max_digits=12
    )


class RevealForm(forms.Form):
    purpose = forms.CharField(max_length=100, required=False)


class LinkLoginForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label="登录账号", max_length=150)
    member = forms.ModelChoiceField(label="党员", queryset=None)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
