"""Forms of the org pages. They only shape input; the checks live in orgs/services.py."""

import re

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.core.rules import Level
from dangjian.orgs.figures import EVENT_INDICATORS
from dangjian.orgs.models import OrgEventKind, OrgKind, OrgStatus, PlaceKind, Post, SeatOrigin, Sector
from dangjian.orgs.rules import RULE_LABELS

LEVEL_CHOICES = [(level.value, level.label) for level in Level]

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
    temporary_purpose = forms.CharField(
        label="设立目的(仅临时党支部)",
        max_length=200,
        required=False,
        help_text="如“某重点项目建设”“某期培训班”。",
    )
    temporary_until = forms.DateField(label="预计结束日期(仅临时党支部)", required=False, widget=DateInput())


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


# --- the organization module ----------------------------------------------------------------------------

CONFIRM_HELP = "文件编号,如“X组字〔2026〕12号”。"


def optional_date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput(), help_text=help_text)


def document_field() -> forms.CharField:
    return forms.CharField(label="文号", max_length=100, required=False, help_text=CONFIRM_HELP)


def org_code_field(label: str, help_text: str = "输入名称或编码查找。") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"}),
        help_text=help_text,
    )


class OrgMergeForm(StyledFormMixin, forms.Form):
    into_code = org_code_field("并入的党组织(组织编码)", "本组织的下级党组织、单位和阵地一并转入该组织。")
    occurred_on = optional_date("合并日期", "不填则为今天。")
    document_number = document_field()
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label="我已核对:合并后本组织即撤销,不能恢复。")


class EventCorrectForm(StyledFormMixin, forms.Form):
    occurred_on = forms.DateField(label="正确的发生日期", required=False, widget=DateInput())
    document_number = forms.CharField(label="正确的文号", max_length=100, required=False)
    note = forms.CharField(label="正确的说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label="更正原因", widget=forms.Textarea(attrs={"rows": 2}))


class PeriodFilterMixin(forms.Form):
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def add_prefix(self, field_name):
        # The query string says from= and to=, as the API does.
        return {"date_from": "from", "date_to": "to"}.get(field_name, field_name)


class EventFilterForm(StyledFormMixin, PeriodFilterMixin):
    kind = forms.ChoiceField(label="事项", required=False, choices=[("", "全部事项"), *OrgEventKind.choices])
    indicator = forms.ChoiceField(
        label="统计口径",
        required=False,
        choices=[("", "不限"), *((i.key, i.label) for i in EVENT_INDICATORS)],
    )


class FigureFilterForm(StyledFormMixin, PeriodFilterMixin):
    pass


class FindingFilterForm(StyledFormMixin, forms.Form):
    level = forms.ChoiceField(label="级别", required=False, choices=[("", "全部级别"), *LEVEL_CHOICES])
    rule = forms.ChoiceField(label="规则", required=False, choices=[("", "全部规则"), *RULE_LABELS.items()])


# --- units ----------------------------------------------------------------------------------------------


class UnitForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="单位名称", max_length=120)
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=18, required=False, help_text="18位,系统校验校验位。"
    )
    sector = forms.ChoiceField(label="领域", choices=Sector.choices, initial=Sector.OTHER)
    is_new_sector = forms.BooleanField(label="属于两新组织(非公企业、社会组织)", required=False)
    headcount = forms.IntegerField(label="从业人员数", required=False, min_value=0)
    org_code = forms.CharField(
        label="所建党组织(组织编码)",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "org-options", "autocomplete": "off"}),
        help_text="单位已建立党组织时填写;空为尚未建立。",
    )
    charter_includes_party_building = forms.BooleanField(label="党建工作写入章程(党建入章)", required=False)
    cross_appointment = forms.BooleanField(label="双向进入、交叉任职", required=False)
    secretary_is_head = forms.BooleanField(label="党组织书记由单位负责人担任", required=False)
    closed_on = optional_date("注销日期", "单位注销、撤并后填写,不再计入覆盖率。")
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class UnitFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="名称或信用代码", required=False)
    sector = forms.ChoiceField(label="领域", required=False, choices=[("", "全部领域"), *Sector.choices])
    new_sector = forms.ChoiceField(
        label="两新组织", required=False, choices=[("", "不限"), ("yes", "是"), ("no", "否")]
    )
    covered = forms.ChoiceField(
        label="党组织", required=False, choices=[("", "不限"), ("yes", "已建立"), ("no", "未建立")]
    )


# --- people: a member chosen from the roll, or a name ------------------------------------------------

# The member picker's options read "姓名 #编号" (members:select); a plain name is someone not on the platform.
PERSON = re.compile(r"^(?P<name>[^#]*?)\s*#\s*(?P<number>\d+)$")
PEOPLE = re.compile(r"[^、,,;;\s#]+(?:\s*#\s*\d+)?")
PERSON_HELP = "输入姓名或拼音首字母,从本组织党员中选择;不在平台内的人员直接填写姓名。"


def split_person(text: str) -> dict:
    """ "张三 #12" → name and member record number; "张三" → a name alone."""
    text = (text or "").strip()
    match = PERSON.match(text)
    if match:
        return {"name": match["name"].strip(), "member_id": int(match["number"])}
    return {"name": text, "member_id": None}


def person_input() -> forms.TextInput:
    return forms.TextInput(attrs={"list": "member-options", "autocomplete": "off", "data-member-picker": ""})


def person_field(label: str, required: bool = True, max_length: int = 70, help_text: str = PERSON_HELP):
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=person_input(), help_text=help_text
    )


def person_text(name: str, member_id: int | None) -> str:
    """The field's initial text for a person already recorded."""
    return f"{name} #{member_id}" if member_id else name


# --- committees -----------------------------------------------------------------------------------------


class CommitteeForm(StyledFormMixin, forms.Form):
    """The result of an election (or an appointment): the people by post, and the term."""

    secretary = person_field("书记", required=False)
    deputy_secretary = person_field("副书记", required=False, help_text="")
    organization_member = person_field("组织委员", required=False, help_text="")
    publicity_member = person_field("宣传委员", required=False, help_text="")
    discipline_member = person_field("纪检委员", required=False, help_text="")
    member = forms.CharField(
        label="其他委员",
        max_length=600,
        required=False,
        help_text="多人用顿号、逗号或空格分隔;关联党员档案的写作“姓名 #编号”。",
    )
    document_number = document_field()
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    POSTS = ("secretary", "deputy_secretary", "organization_member", "publicity_member", "discipline_member")

    def members(self) -> list[dict]:
        data = self.cleaned_data
        people = [
            {"post": post, **split_person(data[post])} for post in self.POSTS if data.get(post, "").strip()
        ]
        others = PEOPLE.findall(data.get("member", ""))
        return people + [{"post": "member", **split_person(text)} for text in others]


class ElectionForm(CommitteeForm):
    elected_on = forms.DateField(label="选举日期", widget=DateInput())
    number = forms.IntegerField(
        label="届次", required=False, min_value=1, help_text="不填则在上一届的届次上加1。"
    )
    seats = forms.IntegerField(label="职数", required=False, min_value=1, help_text="上级批复的委员名额。")
    ends_on = optional_date("任期届满日期", "不填则按规定任期计算;经批准延期或提前的填写(一般不超过1年)。")

    field_order = ["elected_on", "number", "seats", "ends_on"]


class AppointmentForm(CommitteeForm):
    appointed_on = forms.DateField(label="指定日期", widget=DateInput())

    field_order = ["appointed_on"]


class CommitteeMemberForm(StyledFormMixin, forms.Form):
    post = forms.ChoiceField(label="职务", choices=Post.choices)
    name = person_field("姓名")
    started_on = forms.DateField(label="任职日期", widget=DateInput())
    origin = forms.ChoiceField(
        label="产生方式",
        choices=[(SeatOrigin.BY_ELECTION, "补选"), (SeatOrigin.APPOINTED, "上级指定(临时党支部)")],
    )
    document_number = document_field()
    note = forms.CharField(label="说明", required=False)


class TermAdjustForm(StyledFormMixin, forms.Form):
    ends_on = forms.DateField(
        label="新的任期届满日期", widget=DateInput(), help_text="与规定任期相差一般不超过1年。"
    )
    document_number = forms.CharField(
        label="批准文号", max_length=100, help_text="上级党组织批准延期或提前换届的文件编号。"
    )
    occurred_on = optional_date("批准日期", "不填则为今天。")
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommitteeMemberEndForm(StyledFormMixin, forms.Form):
    ended_on = forms.DateField(label="离任日期", widget=DateInput())
    reason = forms.CharField(label="离任原因", max_length=200, help_text="如工作调动、退休、免职、辞职。")
    document_number = document_field()


class TermFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="任期",
        required=False,
        choices=[
            ("", "全部"),
            ("overdue", "已届满未换届"),
            ("ending", "6个月内届满"),
            ("none", "未登记班子"),
        ],
    )


# --- groups ---------------------------------------------------------------------------------------------


class GroupForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="党小组名称", max_length=60)
    leader_name = person_field("组长", required=False)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class GroupMemberForm(StyledFormMixin, forms.Form):
    name = person_field("姓名", help_text="输入姓名或拼音首字母,从本支部党员中选择。")
    joined_on = optional_date("编入日期", "不填则为今天。")


class GroupDissolveForm(StyledFormMixin, forms.Form):
    dissolved_on = optional_date("撤销日期", "不填则为今天;在组成员一并调出。")
    reason = forms.CharField(label="撤销原因", max_length=200, required=False)


# --- pairings, places, weak flags -----------------------------------------------------------------------


class PairingForm(StyledFormMixin, forms.Form):
    scheme = forms.CharField(
        label="共建项目名称", max_length=120, help_text="如“城乡党建联建”“机关支部与村结对”。"
    )
    org_codes = forms.CharField(
        label="结对的党组织(组织编码)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="两个或以上,组织编码用空格、逗号或换行分隔;须都在您的管理范围内。",
    )
    started_on = forms.DateField(label="开始日期", widget=DateInput())
    ended_on = optional_date("结束日期")
    note = forms.CharField(label="共建内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def codes(self) -> list[str]:
        return [code for code in re.split(r"[、,,;;\s]+", self.cleaned_data["org_codes"]) if code]


class PairingEditForm(StyledFormMixin, forms.Form):
    scheme = forms.CharField(label="共建项目名称", max_length=120)
    ended_on = optional_date("结束日期")
    note = forms.CharField(label="共建内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PairingOrgAddForm(StyledFormMixin, forms.Form):
    org_code = org_code_field("加入的党组织(组织编码)", "须在您的管理范围内。")
    joined_on = optional_date("加入日期", "不填则为今天。")
    note = forms.CharField(label="说明", required=False, max_length=200)


class PairingOrgRemoveForm(StyledFormMixin, forms.Form):
    left_on = optional_date("退出日期", "不填则为今天;该组织此前参加的共建记录保留。")
    reason = forms.CharField(label="退出原因", max_length=200, required=False)


class PairingActivityForm(StyledFormMixin, forms.Form):
    held_on = forms.DateField(label="活动日期", widget=DateInput())
    title = forms.CharField(label="活动名称", max_length=120)
    note = forms.CharField(label="活动内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PairingFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="项目名称", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), ("running", "进行中"), ("ended", "已结束")]
    )


class PlaceForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PlaceKind.choices)
    name = forms.CharField(label="名称", max_length=120)
    address = forms.CharField(label="地址", max_length=200, required=False)
    area = forms.DecimalField(
        label="面积(平方米)", required=False, min_value=0, decimal_places=1, max_digits=9
    )
    opened_on = optional_date("启用日期")
    closed_on = optional_date("停用日期")
    close_reason = forms.CharField(label="停用原因", max_length=200, required=False)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PlaceCloseForm(StyledFormMixin, forms.Form):
    closed_on = optional_date("停用日期", "不填则为今天;停用后不再计入在用阵地,历史记录保留。")
    reason = forms.CharField(label="停用原因", max_length=200, required=False)


class PlaceFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="名称", required=False)
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *PlaceKind.choices])
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "在用"), ("closed", "已停用"), ("all", "全部")]
    )


class WeakFlagForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="主要问题", widget=forms.Textarea(attrs={"rows": 3}))
    flagged_on = forms.DateField(label="认定日期", widget=DateInput())
    document_number = document_field()


class WeakStepForm(StyledFormMixin, forms.Form):
    taken_on = forms.DateField(label="日期", widget=DateInput())
    description = forms.CharField(label="整顿措施", widget=forms.Textarea(attrs={"rows": 2}))


class WeakCloseForm(StyledFormMixin, forms.Form):
    closed_on = forms.DateField(label="销号日期", widget=DateInput())
    closing_note = forms.CharField(label="销号说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WeakFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "整顿中"), ("closed", "已销号"), ("all", "全部")]
    )
