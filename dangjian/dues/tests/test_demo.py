"""Demo dues: bases, bills, payments, arrears and a ledger that balances, from the seed_demo command."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from dangjian.dues import queries, services
from dangjian.dues.models import Allocation, DuesBase, DuesBill, DuesPayment, Expense
from dangjian.orgs.models import Org


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("seed_demo", scale="county", seed=5, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def test_the_demo_bills_pays_and_leaves_some_arrears(seeded):
    assert "党费:" in seeded
    assert DuesBase.objects.count() > 2000
    assert DuesBill.objects.count() > 10000
    assert DuesBill.objects.filter(paid_on__isnull=False).count() > DuesBill.objects.count() * 0.8
    found = queries.arrears(DuesBill.objects.all(), DuesBill.objects.latest("month").month)
    assert any(a.flagged for a in found) and any(not a.flagged for a in found)
    assert DuesPayment.objects.filter(remit_in_full=True).exists() or DuesPayment.objects.filter(
        kind="voluntary"
    )


def test_the_demo_money_trail_balances(seeded):
    assert Allocation.objects.exists() and Expense.objects.exists()
    ledgers = [services.ledger(org) for org in Org.objects.all()]
    assert all(item.balance >= 0 for item in ledgers)
    collected = sum((item.collected for item in ledgers), Decimal(0))
    spent = sum((item.spent for item in ledgers), Decimal(0))
    assert sum((item.balance for item in ledgers), Decimal(0)) == collected - spent
