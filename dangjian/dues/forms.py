"""Forms of the dues pages; the services do every check of substance."""

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.dues.models import MemberType, PaymentKind, PaymentMethod, Relief

MONTH_HELP = "格式 YYYY-MM,如 2026-11"


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    widget = MonthInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d"])
        kwargs.setdefault("help_text", MONTH_HELP)
        super().__init__(**kwargs)


class BaseForm(StyledFormMixin, forms.Form):
    member_type = forms.ChoiceField(label="党员类型", choices=MemberType.choices)
    effective_month = MonthField(label="起始月份(首次领取新工资的月份)")
    base = forms.DecimalField(
        label="月交纳基数(元)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="在岗:工资收入中固定的、经常性的部分扣除个人所得税后的数额;离退休:基本离退休费总额;"
        "年薪制:当月实际领取的工资;个体经营:上一季度月平均纯收入。",
    )
    fixed_amount = forms.DecimalField(
        label="每月交纳额(元)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="农民 0.2—1 元;学生、下岗失业、依靠退休金或救济生活、低保党员 0.2 元。",
    )
    relief = forms.ChoiceField(label="困难减免", choices=Relief.choices, initial=Relief.NONE)
    reduced_amount = forms.DecimalField(
        label="减免后每月交纳额(元)", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    relief_decided_on = forms.DateField(label="支部决定日期", required=False, widget=DateInput())
    relief_approved_by = forms.CharField(label="批准的上级党委", required=False, max_length=120)
    relief_approved_on = forms.DateField(label="上级批准日期", required=False, widget=DateInput())
    relief_document = forms.CharField(label="批准文号", required=False, max_length=60)
    note = forms.CharField(label="说明", required=False, max_length=200)


class PaymentForm(StyledFormMixin, forms.Form):
    first_month = MonthField(label="起始月份", required=False)
    last_month = MonthField(label="截止月份", required=False, help_text="只交一个月时可不填")
    voluntary_amount = forms.DecimalField(
        label="自愿多交(元)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="单笔1000元以上的自愿多交全额上缴。",
    )
    method = forms.ChoiceField(label="交纳方式", choices=PaymentMethod.choices)
    paid_on = forms.DateField(label="交纳日期", required=False, widget=DateInput())
    proxy_name = forms.CharField(
        label="代缴人", required=False, max_length=50, help_text="经支部同意由他人代缴时填写"
    )
    advance_consent = forms.BooleanField(label="支部已同意预交(最多按季度预交)", required=False)
    reference = forms.CharField(label="凭证号/流水号", required=False, max_length=60)
    note = forms.CharField(
        label="说明", required=False, max_length=200, help_text="补交超过6个月时须写明原因"
    )


class BillRunForm(StyledFormMixin, forms.Form):
    month = MonthField(label="月份")


class RemitForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(label="上缴金额(元)", min_value=0, max_digits=12, decimal_places=2)
    remitted_on = forms.DateField(label="上缴日期", required=False, widget=DateInput())
    period = forms.CharField(label="所属期间", required=False, max_length=40, help_text="如 2026年三季度")
    reference = forms.CharField(label="凭证号", required=False, max_length=60)
    note = forms.CharField(label="说明", required=False, max_length=200)


class AllocateForm(StyledFormMixin, forms.Form):
    to_org_code = forms.CharField(
        label="下拨给(组织编码)", max_length=40, widget=forms.TextInput(attrs={"list": "org-options"})
    )
    amount = forms.DecimalField(label="下拨金额(元)", min_value=0, max_digits=12, decimal_places=2)
    purpose = forms.CharField(label="用途", max_length=200)
    allocated_on = forms.DateField(label="下拨日期", required=False, widget=DateInput())
    document = forms.CharField(label="文号", required=False, max_length=60)


class SpendForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(label="支出金额(元)", min_value=0, max_digits=12, decimal_places=2)
    description = forms.CharField(label="用途说明", max_length=200)
    spent_on = forms.DateField(label="支出日期", required=False, widget=DateInput())
    allocation = forms.TypedChoiceField(label="使用的下拨款", required=False, coerce=int, empty_value=None)


class BillFilterForm(forms.Form):
    month = MonthField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "全部"), ("unpaid", "未交"), ("paid", "已交")])
    org = forms.IntegerField(required=False)


class PaymentFilterForm(forms.Form):
    month = MonthField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "全部"), *PaymentKind.choices])


class ReportForm(forms.Form):
    year = forms.IntegerField(required=False, min_value=2008, max_value=2100)
    month = forms.IntegerField(required=False, min_value=1, max_value=12)
