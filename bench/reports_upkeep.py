"""What the roll-up upkeep adds to a large import, on the database in $DATABASE_URL (with members).

    DATABASE_URL=sqlite:////tmp/city/bench.sqlite3 DANGJIAN_VAR_DIR=/tmp/city python bench/reports_upkeep.py

Times ``members.services.create_members_bulk`` (the bulk import's write) of N checked records spread
over the branches of a county, in chunks of 1,000 inside one ``bulk_changes`` block as the importer
writes them, once with the roll-ups kept (the block's end adds the new records' counts, and recounts the
people on the path of their orgs) and once without any kept year or change hook — each run inside a
transaction that is rolled back, so the database is left as it was. The ID numbers are generated valid.
Then the single writes the same way: ``update_member`` (a recount of the member's org for every kept
year, its deltas added up the tree) and ``create_org`` (the org counts' deltas), one call at a time.
"""

import argparse
import contextlib
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402

setup_django()

from django.db import transaction  # noqa: E402

from dangjian.core.audit import Actor  # noqa: E402
from dangjian.members import services  # noqa: E402
from dangjian.members.models import Member  # noqa: E402
from dangjian.members.rules import check_character  # noqa: E402
from dangjian.orgs import services as org_services  # noqa: E402
from dangjian.orgs.models import Org  # noqa: E402
from dangjian.reports.models import RollupYear  # noqa: E402

CHUNK = 1000


def items(count: int, branches: list[Org]) -> list:
    found = []
    for n in range(count):
        birth = date(1940 + n % 40, 1 + n % 12, 1 + n % 28)
        first17 = f"990101{birth:%Y%m%d}{(2 * n + 1) % 1000:03d}"
        # A number no demo record holds: area 990101 is not a real region.
        number = first17 + check_character(first17)
        data = {
            "name": f"基准{n}",
            "id_number": number,
            "birth_date": birth,
            "sex": "male",
            "category": "full",
            "joined_on": date(2000, 1, 1),
            "converted_on": date(2001, 1, 1),
            "education": "bachelor",
            "occupation": "worker",
        }
        found.append(services.check_member_data(branches[n % len(branches)], data))
    return found


def run(actor, checked, keep: bool) -> float:
    with transaction.atomic(), contextlib.ExitStack() as upkeep_left_out:
        if not keep:
            RollupYear.objects.all().delete()
            # Nobody follows the member changes: neither the member roll-ups nor the people on the path.
            upkeep_left_out.enter_context(mock.patch.object(services, "_change_hooks", []))
        started = time.perf_counter()
        with services.bulk_changes():  # as the importer runs its chunks: the roll-ups told once
            for start in range(0, len(checked), CHUNK):
                services.create_members_bulk(
                    actor, checked[start : start + CHUNK], audited_as=checked[0].fields["org"]
                )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def run_single(actor, members: list, branches: list, keep: bool) -> tuple[float, float]:
    """Seconds per ``update_member`` and per ``create_org`` (median), rolled back."""
    with transaction.atomic(), contextlib.ExitStack() as upkeep_left_out:
        if not keep:
            RollupYear.objects.all().delete()
            upkeep_left_out.enter_context(mock.patch.object(services, "_change_hooks", []))
        edits, founded = [], []
        for n, member in enumerate(members):
            started = time.perf_counter()
            services.update_member(actor, member, education="college" if n % 2 else "postgraduate")
            edits.append(time.perf_counter() - started)
        for n, branch in enumerate(branches):
            started = time.perf_counter()
            org_services.create_org(
                actor, parent=branch.get_parent(), name=f"基准新支部{n}", kind="branch", code=f"BENCH-{n}"
            )
            founded.append(time.perf_counter() - started)
        transaction.set_rollback(True)
    return statistics.median(edits), statistics.median(founded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not RollupYear.objects.exists():
        sys.exit("build the roll-ups first: manage.py rebuild_rollups")
    county = Org.objects.filter(depth=2).order_by("path").first()
    branches = list(Org.objects.all().within(county).filter(kind="branch", status="active"))
    actor = Actor.command("bench")
    checked = items(options.rows, branches)
    for index, item in enumerate(checked):
        item.id_index = f"bench-{index}"
    with_rollups, without = [], []
    for _ in range(options.rounds):
        without.append(run(actor, checked, keep=False))
        with_rollups.append(run(actor, checked, keep=True))
    a, b = statistics.median(without), statistics.median(with_rollups)
    print(
        f"  {options.rows:,} members over {len(branches)} branches of {county.name}: "
        f"without roll-ups {a:.2f} s, with roll-ups kept {b:.2f} s ({100 * (b - a) / a:+.0f} %), "
        f"{len(RollupYear.objects.all())} kept years"
    )
    members = list(Member.objects.filter(org__in=branches, on_roll=True).order_by("pk")[:50])
    without = run_single(actor, members, branches[:20], keep=False)
    kept = run_single(actor, members, branches[:20], keep=True)
    for label, a, b in (("update_member", without[0], kept[0]), ("create_org", without[1], kept[1])):
        print(f"  one {label}: without roll-ups {1000 * a:.1f} ms, with roll-ups kept {1000 * b:.1f} ms")


if __name__ == "__main__":
    main()
