"""The full roll-up rebuild, timed part by part, on the database in $DATABASE_URL (the province of
bench/README.md: generate_tree, reports_generate, apps_generate, VACUUM ANALYZE).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/rollups_rebuild.py [--workers N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench python bench/rollups_rebuild.py --one-transaction

Runs ``reports.rollups.rebuild`` as ``manage.py rebuild_rollups`` does (outside a transaction: on
PostgreSQL its parts side by side, ``--workers`` at a time), or inside one transaction
(``--one-transaction``: the parts one after the other, the raw sum of the same statements), and prints
when each part started and ended and the whole. It commits, as the command does, and verifies nothing
(``manage.py rebuild_rollups --verify-only`` does).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402

setup_django()

from django.db import transaction  # noqa: E402

from dangjian.core.audit import Actor  # noqa: E402
from dangjian.reports import rollups  # noqa: E402


def timed(name: str, build, started: float):
    """``build`` printing when it started and ended, in seconds from ``started``."""

    def run(*args):
        began = time.perf_counter()
        rows = build(*args)
        ended = time.perf_counter()
        print(
            f"  {name:<12} {began - started:6.1f} -> {ended - started:6.1f} s ({ended - began:5.1f} s), "
            f"{rows:,} rows",
            flush=True,
        )
        return rows

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=rollups.REBUILD_WORKERS)
    parser.add_argument("--one-transaction", action="store_true")
    options = parser.parse_args()
    started = time.perf_counter()
    rollups.others[:] = [
        rollups.Kept(kept.name, timed(kept.name, kept.rebuild, started), kept.differences)
        for kept in rollups.others
    ]
    rollups._rebuild_members = timed(rollups.MEMBERS_PART, rollups._rebuild_members, started)
    actor = Actor.command("bench")
    if options.one_transaction:
        with transaction.atomic():
            rows = rollups.rebuild(actor)
        how = "one transaction, one part after the other"
    else:
        rows = rollups.rebuild(actor, workers=options.workers)
        how = f"as the command runs it ({options.workers} workers)"
    print(f"rebuild, {how}: {time.perf_counter() - started:.1f} s, {rows:,} rows, committed")


if __name__ == "__main__":
    main()
