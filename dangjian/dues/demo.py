"""Demo dues for ``manage.py seed_demo``: bases, six months of bills, payments, arrears and the money trail.

Bases follow the member's occupation (farmers pay a fixed 0.2–1 yuan, retired members a rate on their
pension, students 0.2 yuan, the others a rate on their pay); bills are made by the real billing service
for January–June 2025; about nine in ten members pay every month, the rest fall one to six months behind,
so the arrears lists have warnings and flags; a few members pay voluntarily (some 1000 yuan or more);
branches remit to their parents, and the top org allocates money down for repairs that are then spent.
Everything is written by services (bulk ones for the many rows) and deterministic from the seed.
"""

import random
from datetime import date
from decimal import Decimal

from dangjian.core.access import subtree_q
from dangjian.core.audit import Actor
from dangjian.dues import rules, services
from dangjian.dues.models import DuesBill, MemberType
from dangjian.members.models import Member
from dangjian.orgs.models import Org

MONTHS = [date(2025, m, 1) for m in range(1, 7)]
TYPE_BY_OCCUPATION = {
    "farmer": MemberType.FARMER,
    "retired": MemberType.RETIRED,
    "student": MemberType.LOW_INCOME,
}


def base_for(rng: random.Random, member_type: str) -> dict:
    if member_type == MemberType.FARMER:
        return {"fixed_amount": rng.choice(["0.20", "0.50", "1.00"])}
    if member_type == MemberType.LOW_INCOME:
        return {"fixed_amount": "0.20"}
    if member_type == MemberType.RETIRED:
        return {"base": f"{rng.randint(2200, 9000)}.{rng.randint(0, 99):02d}"}
    return {"base": f"{rng.randint(2500, 16000)}.{rng.randint(0, 99):02d}"}


def seed_demo(actor: Actor, tree, scale: str, seed: int) -> str:
    rng = random.Random(seed * 7 + 2)
    root = tree.root
    members = list(
        Member.objects.filter(
            subtree_q("org__path", root.path), category__in=("probationary", "full"), on_roll=True
        )
        .order_by("pk")
        .values_list("pk", "occupation", "joined_on")
    )
    bases = []
    for pk, occupation, joined_on in members:
        member_type = TYPE_BY_OCCUPATION.get(occupation, MemberType.IN_SERVICE)
        start = max(MONTHS[0], rules.month_of(joined_on)) if joined_on else MONTHS[0]
        bases.append(
            {
                "member_id": pk,
                "member_type": member_type,
                "effective_month": start,
                **base_for(rng, member_type),
            }
        )
    services.declare_bases_bulk(actor, bases, audited_as=root)
    # Some members declare a raise from April (第十条: from the month the new pay is first received).
    raises = [
        {**b, "effective_month": date(2025, 4, 1), "base": str(Decimal(b["base"]) + 300)}
        for b in bases
        if b["member_type"] == MemberType.IN_SERVICE
        and rng.random() < 0.1
        and b["effective_month"] < date(2025, 4, 1)
    ]
    services.declare_bases_bulk(actor, raises, audited_as=root)
    created = sum(services.bill_month(actor, root, month).created for month in MONTHS)
    # Who falls behind, and from which month: most never, a few from a month of the half year.
    behind = {pk: rng.choice(MONTHS) for pk, _, _ in members if rng.random() < 0.08}
    paid = 0
    for month in MONTHS:
        bills = DuesBill.objects.filter(subtree_q("org__path", root.path), month=month, paid_on__isnull=True)
        due = [b for b in bills if not (b.member_id in behind and behind[b.member_id] <= month)]
        paid_on = month.replace(day=rng.randint(5, 25))
        paid += services.settle_bills_bulk(actor, due, paid_on=paid_on, method="cash", audited_as=root)
    voluntary = 0
    for pk, _, _ in rng.sample(members, min(len(members), 6)):
        member = Member.objects.get(pk=pk)
        if not member.org.is_temporary:
            amount = rng.choice(["200.00", "500.00", "1000.00", "2000.00"])
            services.record_payment(actor, member, paid_on=date(2025, 6, 28), voluntary_amount=amount,
                                    note="自愿多交")  # fmt: skip
            voluntary += 1
    remitted = remit_upward(actor, tree.county)
    allocation = allocate_for_repairs(actor, root, rng)
    return (
        f"党费:{len(bases)} 名党员的交纳基数,{created} 笔应交党费,{paid} 笔交纳记录,"
        f"{len(behind)} 名党员有欠交,{voluntary} 笔自愿多交,{remitted} 笔上缴,{allocation}。"
    )


def remit_upward(actor: Actor, county: Org) -> int:
    """Every org of the demo county, the county included, remits what it holds on 2025-07-05, the deepest
    first, so money climbs up to the city. One county, not the whole city: each remittance checks the
    org's ledger, and a few thousand of them made the city demo minutes slower."""
    count = 0
    orgs = Org.objects.filter(subtree_q("path", county.path)).order_by("-depth", "path")
    for org in orgs:
        balance = services.ledger(org).balance
        if balance > 0:
            services.remit(actor, org, amount=balance, remitted_on=date(2025, 7, 5), period="2025年上半年")
            count += 1
    return count


def allocate_for_repairs(actor: Actor, root: Org, rng: random.Random) -> str:
    """The top org allocates part of what it holds to a few orgs for repairing service centres."""
    balance = services.ledger(root).balance
    children = list(Org.objects.filter(depth=root.depth + 1, path__startswith=root.path).order_by("path")[:3])
    if not children or balance < 300:
        return "无下拨"
    share = (balance * Decimal("0.3") / len(children)).quantize(Decimal("1"))
    for child in children:
        allocation = services.allocate(
            actor, root, child, amount=share, purpose="修缮党群服务中心", allocated_on=date(2025, 7, 20),
            document="党费〔2025〕1号",
        )  # fmt: skip
        services.spend(
            actor, child, amount=share * Decimal("0.6"), description="党群服务中心屋面维修",
            spent_on=date(2025, 8, 15), allocation=allocation,
        )  # fmt: skip
    return f"统筹下拨{share * len(children)}元修缮{len(children)}个党群服务中心"
