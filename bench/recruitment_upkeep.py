"""What the development roll-ups' upkeep adds to a recruitment import, on the database in $DATABASE_URL.

    DATABASE_URL=sqlite:////tmp/city/bench.sqlite3 DANGJIAN_VAR_DIR=/tmp/city python bench/recruitment_upkeep.py

Makes N applicants over the branches of a county (not timed), then writes what the recruitment import
writes for each row (``importers.RecruitmentImporter.create``: ``open_case`` with step 1, then
``record_step`` for steps 2 to 4 — the talk, the recommendation and the confirmation as an activist,
which changes the person's category through a member event), inside the importer's ``writing`` block as
an import does (``--per-write``: outside it, as pages write one case at a time), once as it runs and
once with the development roll-ups' upkeep left out (``figures_of`` and ``count_case`` of
recruitment.services replaced by no-ops; the people on the path are recounted either way). Each run is a
transaction rolled back, so the database is left as it was.
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
from dangjian.members import services as member_services  # noqa: E402
from dangjian.members.models import Member  # noqa: E402
from dangjian.members.rules import check_character  # noqa: E402
from dangjian.orgs.models import Org  # noqa: E402
from dangjian.recruitment import services  # noqa: E402
from dangjian.recruitment.importers import RecruitmentImporter  # noqa: E402

DATES = {1: date(2025, 1, 5), 2: date(2025, 1, 20), 3: date(2025, 3, 10), 4: date(2025, 3, 15)}


def applicants(actor, count: int, branches: list[Org]) -> list:
    """N new applicants (area 990101 is no real region: no demo record holds these ID numbers)."""
    checked = []
    for n in range(count):
        birth = date(1990 + n % 10, 1 + n % 12, 1 + n % 28)
        first17 = f"990101{birth:%Y%m%d}{(2 * n + 1) % 1000:03d}"
        data = {
            "name": f"基准申请人{n}",
            "id_number": first17 + check_character(first17),
            "birth_date": birth,
            "sex": "male",
            "category": "applicant",
            "applied_on": DATES[1],
            "education": "bachelor",
            "occupation": "worker",
        }
        item = member_services.check_member_data(branches[n % len(branches)], data)
        item.id_index = f"bench-applicant-{n}"
        checked.append(item)
    ids = member_services.create_members_bulk(actor, checked, audited_as=branches[0])
    return list(Member.objects.filter(pk__in=ids).order_by("pk"))


def run(actor, count: int, branches: list[Org], keep: bool, per_write: bool) -> float:
    with transaction.atomic():
        people = applicants(actor, count, branches)
        started = time.perf_counter()
        with contextlib.ExitStack() as upkeep_left_out:
            if not keep:
                upkeep_left_out.enter_context(
                    mock.patch.object(services, "figures_of", return_value=services.NOTHING)
                )
                upkeep_left_out.enter_context(mock.patch.object(services, "count_case"))
            if not per_write:
                upkeep_left_out.enter_context(RecruitmentImporter().writing(actor, {}))
            for person in people:
                case = services.open_case(actor, person, applied_on=DATES[1], note="导入")
                for number in (2, 3, 4):
                    services.record_step(actor, case, number, occurred_on=DATES[number], note="导入")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-write", action="store_true", help="each write by itself, as the pages")
    options = parser.parse_args()
    county = Org.objects.filter(depth=2).order_by("path").first()
    branches = list(
        Org.objects.all().within(county).filter(kind="branch", status="active").order_by("path")[:100]
    )
    actor = Actor.command("bench")
    with_rollups, without = [], []
    for _ in range(options.rounds):
        without.append(run(actor, options.rows, branches, keep=False, per_write=options.per_write))
        with_rollups.append(run(actor, options.rows, branches, keep=True, per_write=options.per_write))
    a, b = statistics.median(without), statistics.median(with_rollups)
    print(
        f"  {options.rows:,} development cases (steps 1-4, {'one write at a time' if options.per_write else 'as an import'})"
        f" over {len(branches)} branches of {county.name}: "
        f"without the development roll-ups {a:.2f} s ({1000 * a / options.rows:.1f} ms a case), "
        f"with them kept {b:.2f} s ({1000 * b / options.rows:.1f} ms a case, {100 * (b - a) / a:+.0f} %)"
    )


if __name__ == "__main__":
    main()
