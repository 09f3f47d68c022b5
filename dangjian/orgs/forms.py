"""Forms of the org pages. They only shape input; the checks live in orgs/services.py."""

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.models import OrgKind, OrgStatus, Sector

SORT_CHOICES = [("path", "树形顺序"), ("name", "名称"), ("code", "组织编码"), ("founded_on", "成立日期")]
DOCUMENT_HELP = "批准设立、更名、调整或撤销的文件编号,如“X组字〔2026〕12号”。"


class OrgFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="名称或编码", required=False)
    kind = forms.ChoiceField(label="类别", required=False, choices=[("", "全部类别"), *OrgKind.choices])
    sector = forms.ChoiceField(label="领域", required=False, choices=[("", "全部领域"), *Sector.choices])
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[(OrgStatus.ACTIVE, "正常"), (OrgStatus.DISSOLVED, "已撤销"), ("all", "全部")],
    )
    sort = forms.ChoiceField(label="排序", required=False, choices=SORT_CHOICES)


class OrgCreateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=120)
    short_name = forms.CharField(label="简称", max_length=60, required=False)
    kind = forms.ChoiceField(label="类别", choices=OrgKind.choices, initial=OrgKind.BRANCH)
    sector = forms.ChoiceField(label="领域", choices=Sector.choices, initial=Sector.OTHER)
    code = forms.CharField(label="组织编码", max_length=40, help_text="本平台内唯一,字母、数字和 - _ .")
    founded_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    document_number = forms.CharField(
        label="批准文号", max_length=100, required=False, help_text=DOCUMENT_HELP
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OrgEditForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="名称", max_length=120, help_text="改名将登记为一条“更名”事项。")
    short_name = forms.CharField(label="简称", max_length=60, required=False)
    sector = forms.ChoiceField(label="领域", choices=Sector.choices)
    code = forms.CharField(label="组织编码", max_length=40)
    founded_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    occurred_on = forms.DateField(
        label="变更日期", required=False, widget=DateInput(), help_text="不填则为今天。"
    )
    document_number = forms.CharField(label="文号", max_length=100, required=False, help_text=DOCUMENT_HELP)


class OrgMoveForm(StyledFormMixin, forms.Form):
    new_parent_code = forms.CharField(
        label="新的上级党组织(组织编码)",
        max_length=40,
        widget=forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"}),
        help_text="输入名称或编码查找;整个下级组织一并调整。",
    )
    occurred_on = forms.DateField(
        label="调整日期", required=False, widget=DateInput(), help_text="不填则为今天。"
    )
    document_number = forms.CharField(label="文号", max_length=100, required=False, help_text=DOCUMENT_HELP)


class OrgDissolveForm(StyledFormMixin, forms.Form):
    occurred_on = forms.DateField(
        label="撤销日期", required=False, widget=DateInput(), help_text="不填则为今天。"
    )
    document_number = forms.CharField(label="文号", max_length=100, required=False, help_text=DOCUMENT_HELP)
    reason = forms.CharField(label="撤销原因", widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label="我已核对:撤销后该组织不能再设立下级或修改。")
