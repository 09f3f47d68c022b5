"""`make bench`: generate the benchmark trees, measure them, print and write bench/out/results.md.

    python bench/run.py                    # SQLite (20,000 orgs), then PostgreSQL (500,000 orgs)
    python bench/run.py --only sqlite      # or --only postgresql
    BENCH_PG_URL=postgres://user@host:5432/dangjian_bench BENCH_PG_ORGS=100000 python bench/run.py
    BENCH_MEMBERS_ROWS=5000 python bench/run.py   # member import size (default 100,000)
    BENCH_MEMBERS_LARGE=1 python bench/run.py     # 1,000,000 member rows on PostgreSQL

Each database gets its own process (Django reads $DATABASE_URL once): generate_tree.py rebuilds
the benchmark database, measure.py measures it. PostgreSQL is skipped with a message when it
cannot be reached. These are figures, not tests: nothing here passes or fails on a time.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, ROOT  # noqa: E402


@dataclass(frozen=True)
class Target:
    key: str
    url: str
    orgs: int


TARGETS = (
    Target(
        "sqlite",
        f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}",
        int(os.environ.get("BENCH_SQLITE_ORGS", 20_000)),
    ),
    Target(
        "postgresql",
        os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/dangjian_bench"),
        int(os.environ.get("BENCH_PG_ORGS", 500_000)),
    ),
)


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=3):
            return True
    except OSError:
        return False


def run_script(script: str, target: Target, *args: str) -> float:
    started = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": target.url}
    subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def run_target(target: Target) -> dict:
    print(f"== {target.key}: generating {target.orgs:,} orgs", flush=True)
    generate_s = run_script("generate_tree.py", target, "--orgs", str(target.orgs))
    print(f"== {target.key}: measuring", flush=True)
    figures_file = OUT_DIR / f"{target.key}.json"
    measure_s = run_script("measure.py", target, "--json", str(figures_file))
    figures = json.loads(figures_file.read_text())
    figures.update(generate_s=generate_s, measure_s=measure_s)
    figures["members"] = run_members(target)
    return figures


def members_url(target: Target) -> str:
    """The member import's own benchmark database, beside the org tree's."""
    if target.key == "sqlite":
        return f"sqlite:///{ROOT / 'var' / 'bench_members.sqlite3'}"
    return target.url.rsplit("/", 1)[0] + "/dangjian_bench_members"


def run_members(target: Target) -> dict:
    rows = int(os.environ.get("BENCH_MEMBERS_ROWS", 100_000))
    if target.key == "postgresql" and os.environ.get("BENCH_MEMBERS_LARGE") == "1":
        rows = 1_000_000
    print(f"== {target.key}: member import, {rows:,} rows", flush=True)
    figures_file = OUT_DIR / f"members_{target.key}.json"
    member_target = Target(target.key, members_url(target), target.orgs)
    run_script("members_import.py", member_target, "--rows", str(rows), "--list", "--json", str(figures_file))
    return json.loads(figures_file.read_text())


def members_report(all_figures: list[dict]) -> list[str]:
    lines = [
        "",
        "## Member import (bench/members_import.py)",
        "",
        "| Database | Rows | Raw: calamine + COPY/executemany (rows/s) | Preview (rows/s) | Commit (rows/s) "
        "| Preview + commit (s) | One step (s) | One step (rows/s) | One step ÷ raw | Undo (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for figures in all_figures:
        m = figures["members"]
        lines.append(
            f"| {figures['database']} | {m['rows']:,} | {m['raw_rows_per_s']:,.0f} | {m['preview_rows_per_s']:,.0f} "
            f"| {m['commit_rows_per_s']:,.0f} | {m['import_s']:.1f} | {m['one_step_s']:.1f} "
            f"| {m['one_step_rows_per_s']:,.0f} | {m['one_step_vs_raw']:.2f} | {m['undo_s']:.1f} |"
        )
    lines += [
        "",
        "CPU per row (µs): this process (Python) and its database server process, so a loaded machine does not",
        "hide which side limits the import. Floor: the same member, event and tag rows COPYed back into the",
        "emptied tables (every index and constraint, no Python work): no import into this schema can cost the",
        "database less.",
        "",
        "| Database | Rows | Raw: Python / database | One step: Python / database | Floor: database (s for all rows) |",
        "|---|---:|---:|---:|---:|",
    ]
    for figures in all_figures:
        m = figures["members"]
        floor = f"{m['floor_database_cpu_us_per_row']:.0f} ({m['floor_s']:.1f} s)" if "floor_s" in m else "—"
        lines.append(
            f"| {figures['database']} | {m['rows']:,} "
            f"| {m['raw_python_cpu_us_per_row']:.0f} / {m['raw_database_cpu_us_per_row']:.0f} "
            f"| {m['one_step_python_cpu_us_per_row']:.0f} / {m['one_step_database_cpu_us_per_row']:.0f} "
            f"| {floor} |"
        )
    lines += [
        "",
        "| Database | Members | List page (ms) | List API (ms) | Bare JSON view (ms) | API ÷ bare (requests/s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for figures in all_figures:
        m = figures["members"]
        lines.append(
            f"| {figures['database']} | {m['rows']:,} | {ms(m['page_ms'])} | {ms(m['api_ms'])} "
            f"| {ms(m['bare_ms'])} | {m['api_rps'] / m['bare_rps']:.2f} |"
        )
    return lines


# --- the report -----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    return f"{os.cpu_count()} × {cpu}, Python {platform.python_version()}"


def ms(value: float) -> str:
    return f"{value:,.2f}"


def report(all_figures: list[dict], skipped: list[str], total_s: float) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run on {datetime.now():%Y-%m-%d %H:%M} with `make bench` (`python bench/run.py`), {machine()}.",
        "Each figure is the median of several runs, in milliseconds; the raw SQL runs in the same process,",
        "on the same data, right after the Django figure. See bench/README.md for what is measured.",
        "",
        "| Database | Orgs | Operation | Django (ms) | Raw SQL (ms) | Django ÷ raw |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for figures in all_figures:
        for row in figures["results"]:
            lines.append(
                f"| {figures['database']} | {figures['orgs']:,} | {row['operation']} | {ms(row['orm_ms'])} "
                f"| {ms(row['raw_ms'])} | {row['ratio']:.1f} |"
            )
    lines += [
        "",
        "The move goes through `orgs.services.move_org`, which does more than the raw UPDATE: it locks both",
        "parents, checks permission and the tree rules, and writes the `OrgEvent` and the audit entry (SM3",
        "hash chain) in the same transaction. The raw SQL is the same UPDATE treebeard issues plus the",
        "numchild updates of both parents.",
        "",
        "## Does the subtree query use an index?",
        "",
        "| Database | Query | How the rows are found |",
        "|---|---|---|",
    ]
    for figures in all_figures:
        for label, found in figures["plans"].items():
            lines.append(f"| {figures['database']} | {label} | {found['index']} |")
    lines += [
        "",
        '"search X": the plan searches index X for the prefix; "whole index X (filter)": it walks index X',
        "in path order from the start and filters every row (cost grows with the rows before the subtree);",
        '"table scan": it reads the whole table.',
        "",
        "## The same reads in index-friendly forms",
        "",
        "| Database | Form | Page (ms) | Count (ms) | Page plan | Count plan |",
        "|---|---|---:|---:|---|---|",
    ]
    for figures in all_figures:
        for variant in figures["alternatives"]:
            lines.append(
                f"| {figures['database']} | {variant['variant']} | {ms(variant['page_ms'])} "
                f"| {ms(variant['count_ms'])} | {variant['page_index']} | {variant['count_index']} |"
            )
    lines += [
        "",
        "The page with the prefix match alone (before) and as shipped (prefix + range), for the first, middle and last county in path order:",
        "",
        "| Database | County | LIKE alone (ms) | as shipped (ms) |",
        "|---|---|---:|---:|",
    ]
    for figures in all_figures:
        for row in figures["page_by_position"]:
            lines.append(
                f"| {figures['database']} | {row['county']} | {ms(row['like_ms'])} | {ms(row['range_ms'])} |"
            )
    lines += ["", "## Plans", ""]
    for figures in all_figures:
        for label, found in figures["plans"].items():
            lines += [f"{figures['database']}, {label}:", "", "```", *found["plan"], "```", ""]
        for variant in figures["alternatives"][1:]:
            for which, plan in variant["plans"].items():
                lines += [
                    f"{figures['database']}, {variant['variant']}, {which}:",
                    "",
                    "```",
                    *plan,
                    "```",
                    "",
                ]
    lines += [
        "## Time taken",
        "",
        "| Database | Generate | Measure | Tree valid after the moves |",
        "|---|---:|---:|---|",
    ]
    for figures in all_figures:
        problems = figures["tree_problems_after_moves"]
        valid = "yes" if not problems else f"no: {problems}"
        lines.append(
            f"| {figures['database']} | {figures['generate_s']:.1f} s | {figures['measure_s']:.1f} s | {valid} |"
        )
    lines += members_report(all_figures)
    lines += ["", f"Whole run: {total_s:.0f} s."]
    lines += [f"Skipped: {reason}" for reason in skipped]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=[t.key for t in TARGETS])
    options = parser.parse_args()
    started = time.perf_counter()
    all_figures, skipped = [], []
    for target in TARGETS:
        if options.only and target.key != options.only:
            continue
        if target.key == "postgresql" and not reachable(target.url):
            reason = (
                f"PostgreSQL at {urlparse(target.url).netloc} is not reachable; its benchmark was skipped."
            )
            print(f"== {reason}")
            skipped.append(reason)
            continue
        all_figures.append(run_target(target))
    text = report(all_figures, skipped, time.perf_counter() - started)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.md").write_text(text)
    print()
    print(text)
    print(f"(written to {(OUT_DIR / 'results.md').relative_to(ROOT)})")


if __name__ == "__main__":
    main()
