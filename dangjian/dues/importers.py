"""Importing dues data from Excel: bases, payments, and a bank or payment-platform statement to match.

A member is named by ID number (found through the blind index among members the importing user may
change) and name, which must agree; an unknown number and one outside the user's scope get the same
message. Each row goes through the same service as the pages.

A statement line is matched to a member by the payer's name (with the last four characters of the ID
number in the remark when two members share a name) and to that member's oldest unpaid months whose
bills add up to the line's amount. Lines that match nothing are the import's row errors: they are listed
on the preview and offered back as an Excel file, and the matched lines are recorded as bank transfers.
"""

from decimal import Decimal, InvalidOperation

from dangjian.core.access import CHANGE
from dangjian.core.audit import Actor
from dangjian.core.errors import ServiceError
from dangjian.core.importing import Column, Importer, cell_text, parse_date, register
from dangjian.dues import services
from dangjian.dues.models import DuesBase, DuesPayment, MemberType, PaymentMethod, Relief
from dangjian.members.models import Member
from dangjian.members.services import find_by_id_number


def choice_value(text: str, choices) -> str:
    by_label = {label: value for value, label in choices.choices}
    return by_label.get(text, text)


def members_of(actor: Actor):
    members = Member.objects.select_related("org")
    return members if actor.is_system else members.visible_to(actor.user, CHANGE)


def member_for_row(actor: Actor, row: dict) -> Member:
    number, name = cell_text(row.get("id_number")), cell_text(row.get("name"))
    if not number:
        raise ServiceError("公民身份号码不能为空。", field="id_number")
    member = find_by_id_number(members_of(actor), number).first()
    if member is None or (name and member.name != name):
        raise ServiceError("未找到该公民身份号码和姓名对应的党员,或您无权操作。", field="id_number")
    return member


def amount_text(value, field: str, label: str):
    text = cell_text(value).replace(",", "").replace("¥", "").replace("元", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ServiceError(f"{label}“{text}”不是有效的金额。", field=field) from None


def month_text(value) -> str:
    """A month cell: 2026-11, 2026/11, 2026年11月 or a date in that month."""
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year}-{value.month:02d}"
    text = cell_text(value).replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    return text.strip()


MEMBER_COLUMNS = [
    Column("姓名", "name", required=True),
    Column("公民身份号码", "id_number", required=True, help="18位", aliases=("身份证号", "身份证号码")),
]


@register
class DuesBaseImporter(Importer):
    kind = "dues_bases"
    label = "党费交纳基数"
    upload_url_name = "dues:base_import"
    template_url_name = "dues:base_template"
    columns = [
        *MEMBER_COLUMNS,
        Column("党员类型", "member_type", required=True, help="填:" + "、".join(MemberType.labels)),
        Column("起始月份", "effective_month", required=True, help="如 2026-11;首次领取新工资的月份"),
        Column("月交纳基数", "base", help="元;农民、学生等不填"),
        Column("每月交纳额", "fixed_amount", help="农民 0.2—1 元;学生等 0.2 元"),
        Column("困难减免", "relief", help="空、少交或免交"),
        Column("减免后每月交纳额", "reduced_amount"),
        Column("支部决定日期", "relief_decided_on"),
        Column("批准的上级党委", "relief_approved_by"),
        Column("上级批准日期", "relief_approved_on"),
        Column("批准文号", "relief_document"),
        Column("说明", "note"),
    ]

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        return {
            "member": member_for_row(actor, row),
            "member_type": choice_value(cell_text(row["member_type"]), MemberType),
            "effective_month": month_text(row["effective_month"]),
            "base": amount_text(row.get("base"), "base", "月交纳基数"),
            "fixed_amount": amount_text(row.get("fixed_amount"), "fixed_amount", "每月交纳额"),
            "relief": choice_value(cell_text(row.get("relief")), Relief) or Relief.NONE,
            "reduced_amount": amount_text(row.get("reduced_amount"), "reduced_amount", "减免后每月交纳额"),
            "relief_decided_on": parse_date(
                row.get("relief_decided_on"), "relief_decided_on", "支部决定日期"
            ),
            "relief_approved_by": cell_text(row.get("relief_approved_by")),
            "relief_approved_on": parse_date(
                row.get("relief_approved_on"), "relief_approved_on", "上级批准日期"
            ),
            "relief_document": cell_text(row.get("relief_document")),
            "note": cell_text(row.get("note")),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> DuesBase:
        return services.declare_base(actor, **cleaned)

    def objects(self, ids: list[int]) -> list:
        found = DuesBase.objects.select_related("member").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def undo_blockers(self, objs: list) -> list[str]:
        return [reason for item in objs for reason in services.undo_blockers_of_base(item)]

    def remove(self, actor: Actor, obj) -> None:
        services.remove_imported_base(actor, obj)


class PaymentRemoval:
    def objects(self, ids: list[int]) -> list:
        found = DuesPayment.objects.select_related("member", "org").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def undo_blockers(self, objs: list) -> list[str]:
        return [reason for item in objs for reason in services.undo_blockers_of_payment(item)]

    def remove(self, actor: Actor, obj) -> None:
        services.remove_imported_payment(actor, obj)


@register
class DuesPaymentImporter(PaymentRemoval, Importer):
    kind = "dues_payments"
    label = "党费交纳记录"
    upload_url_name = "dues:payment_import"
    template_url_name = "dues:payment_template"
    columns = [
        *MEMBER_COLUMNS,
        Column("交纳日期", "paid_on", required=True),
        Column("起始月份", "first_month", help="如 2026-09;只交自愿多交时不填"),
        Column("截止月份", "last_month", help="只交一个月时可不填"),
        Column("自愿多交", "voluntary_amount", help="元;单笔1000元以上全额上缴"),
        Column("交纳方式", "method", help="填:" + "、".join(PaymentMethod.labels) + ";空为现金"),
        Column("代缴人", "proxy_name"),
        Column("支部同意预交", "advance_consent", help="是/否"),
        Column("金额", "amount", help="核对用:实收合计,与应交不符的行不导入"),
        Column("凭证号", "reference"),
        Column("说明", "note", help="补交超过6个月时须写明原因"),
    ]

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        return {
            "member": member_for_row(actor, row),
            "paid_on": parse_date(row.get("paid_on"), "paid_on", "交纳日期"),
            "first_month": month_text(row.get("first_month")) or None,
            "last_month": month_text(row.get("last_month")) or None,
            "voluntary_amount": amount_text(row.get("voluntary_amount"), "voluntary_amount", "自愿多交") or 0,
            "method": choice_value(cell_text(row.get("method")), PaymentMethod) or PaymentMethod.CASH,
            "proxy_name": cell_text(row.get("proxy_name")),
            "advance_consent": cell_text(row.get("advance_consent")) in {"是", "y", "yes", "1", "√"},
            "expected_amount": amount_text(row.get("amount"), "amount", "金额"),
            "reference": cell_text(row.get("reference")),
            "note": cell_text(row.get("note")),
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> DuesPayment:
        return services.record_payment(actor, **cleaned)


@register
class BankStatementImporter(PaymentRemoval, Importer):
    kind = "dues_statement"
    label = "银行或支付平台流水"
    upload_url_name = "dues:statement_import"
    template_url_name = "dues:statement_template"
    columns = [
        Column("交易日期", "paid_on", required=True, aliases=("记账日期", "交易时间")),
        Column("金额", "amount", required=True, aliases=("交易金额", "收入金额", "贷方金额")),
        Column("付款人", "payer", required=True, aliases=("对方户名", "付款人名称", "对方名称")),
        Column("附言", "remark", help="同名党员时写身份证号后四位", aliases=("摘要", "用途", "备注")),
        Column("流水号", "reference", aliases=("交易流水号", "凭证号")),
    ]

    def validate_row(self, actor: Actor, row: dict, context: dict) -> dict:
        amount = amount_text(row.get("amount"), "amount", "金额")
        if amount is None or amount <= 0:
            raise ServiceError("未匹配:不是收入金额。", field="amount")
        payer, remark = cell_text(row.get("payer")), cell_text(row.get("remark"))
        candidates = list(members_of(actor).filter(name=payer, on_roll=True))
        if not candidates:
            raise ServiceError("未匹配:找不到该姓名的党员。", field="payer")
        if len(candidates) > 1:
            candidates = [
                m for m in candidates if m.id_number_masked[-4:] and m.id_number_masked[-4:] in remark
            ]
            if len(candidates) != 1:
                raise ServiceError("未匹配:有同名党员,请在附言中注明身份证号后四位。", field="payer")
        member = candidates[0]
        months = services.oldest_unpaid_run(member, amount)
        if months is None:
            raise ServiceError(f"未匹配:金额与“{member.name}”未交月份的应交党费合计不符。", field="amount")
        return {
            "member": member,
            "paid_on": parse_date(row.get("paid_on"), "paid_on", "交易日期"),
            "first_month": months[0],
            "last_month": months[1],
            "method": PaymentMethod.BANK_TRANSFER,
            "expected_amount": amount,
            "reference": cell_text(row.get("reference")),
            "note": f"银行流水导入:{remark}"[:200],
        }

    def create(self, actor: Actor, cleaned: dict, context: dict) -> DuesPayment:
        return services.record_payment(actor, **cleaned)

    def template_notes(self) -> list[str]:
        return [
            "按付款人姓名匹配党员;同名时按附言中的身份证号后四位区分。",
            "金额须等于该党员最早若干个未交月份的应交党费合计,匹配后登记为银行转账。",
            "未能匹配的流水行列在预检结果中,可下载后人工登记。",
        ]
