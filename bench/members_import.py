"""Member import benchmark: an .xlsx of N members, imported end to end, beside a raw pipeline.

    DATABASE_URL=sqlite:///var/bench_members.sqlite3 python bench/members_import.py --rows 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench_members python bench/members_import.py \
        --rows 1000000 --json bench/out/members_postgresql.json

The database is recreated and migrated (its name must contain "bench"). The script builds a small org
tree (a city, 10 counties, 100 branches each) and a department administrator at the city, writes the
file with XlsxWriter (constant_memory), then in the same run:

- raw: calamine reads the file and the cells go, unchecked, into a bare table of text columns — COPY on
  PostgreSQL, one ``executemany`` in one transaction on SQLite;
- import: ``importing.preview`` (read, validate every row, store the encrypted file and the errors) and
  ``importing.commit`` (read and validate again, seal, blind-index, insert members, events and tags,
  ImportedObject rows, audit entries) — the path of the upload and commit pages and the API;
- one step: ``importing.import_at_once`` of the same file into an emptied member table (what
  ``manage.py import_file members FILE --commit`` and the API's ``commit=true`` do: each row read and
  checked once), then ``importing.undo`` of that batch (set-based, a chunk at a time);
- with ``--list``: after VACUUM ANALYZE (PostgreSQL) the member list page and the list API at this size, server time per request
  (in-process test client, median), and the list API's requests/s against a bare Django JSON view over
  the same query.
"""

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, database_url  # noqa: E402

AREAS = ("440524", "440306", "110105", "320102", "330106", "420106", "510107", "610113")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强海燕立新文"
EDUCATION = ("大学本科", "大学专科", "高中/中技", "初中及以下", "研究生", "中专")
OCCUPATION = ("农牧渔民", "工人(工勤技能人员)", "离退休人员", "党政机关工作人员", "其他职业人员")
HEADERS = [
    "姓名*",
    "公民身份号码*",
    "性别",
    "民族",
    "出生日期",
    "籍贯",
    "学历",
    "职业",
    "工作单位",
    "职务",
    "联系电话",
    "家庭住址",
    "人员类别*",
    "党员状态",
    "所在党组织编码*",
    "所在党组织",
    "申请入党日期",
    "入党日期",
    "转正日期",
    "台账标签",
]
COUNTIES, BRANCHES = 10, 100


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])  # sqlite:///var/x is relative, sqlite:////var/x absolute
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangjian.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_orgs():
    """A city, 10 counties, 100 branches each, built with the org services; codes B0001 … B1000."""
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.accounts.roles import Role
    from dangjian.core.audit import Actor
    from dangjian.orgs import services

    actor = Actor.command("bench")
    founded = date(2000, 1, 1)
    city = services.create_org(
        actor, parent=None, name="基准市委", kind="committee", code="C", founded_on=founded
    )
    codes = []
    for c in range(1, COUNTIES + 1):
        county = services.create_org(
            actor, parent=city, name=f"第{c}县委", kind="committee", code=f"X{c:02d}", founded_on=founded
        )
        for b in range(1, BRANCHES + 1):
            code = f"B{(c - 1) * BRANCHES + b:04d}"
            services.create_org(
                actor, parent=county, name=f"第{c}县第{b}党支部", kind="branch", code=code, founded_on=founded
            )
            codes.append(code)
    user = User.objects.create_user(username="bench_admin", password="Bench@2026x", display_name="基准")
    RoleAssignment.objects.create(user=user, org=city, role=Role.DEPARTMENT_ADMIN)
    return user, codes


def keep_rollups() -> None:
    """Build the statistics roll-ups of the (still empty) tree, as a deployment has them: every import
    then adds its records' counts for each kept year (reports.rollups.apply_bulk)."""
    from dangjian.core.audit import Actor
    from dangjian.reports import rollups

    rollups.rebuild(Actor.command("bench"))


def id_number(i: int) -> str:
    from dangjian.members.rules import check_character

    birth = date(1945, 1, 1) + timedelta(days=i % 20_000)
    first17 = f"{AREAS[(i // 20_000_000) % len(AREAS)]}{birth:%Y%m%d}{(i // 20_000) % 1000:03d}"
    return first17 + check_character(first17)


def write_file(path: Path, rows: int, codes: list[str]) -> float:
    import xlsxwriter

    started = time.perf_counter()
    rng = random.Random(2026)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("党员")
    sheet.write_row(0, 0, HEADERS)
    for i in range(rows):
        number = id_number(i)
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        joined = birth + timedelta(days=365 * 25 + i % 300)
        full = i % 20 != 0
        sheet.write_row(
            i + 1,
            0,
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else ""),
                number,
                "",
                "汉族",
                "",
                "广东省汕头市",
                rng.choice(EDUCATION),
                rng.choice(OCCUPATION),
                "某某村民委员会",
                "",
                f"138{i:08d}",
                f"广东省汕头市潮阳区某某路{i % 500}号",
                "正式党员" if full else "预备党员",
                "正常",
                codes[i % len(codes)],
                "",
                "",
                joined.isoformat(),
                (joined + timedelta(days=366)).isoformat() if full else "",
                "老党员" if i % 50 == 0 else "",
            ],
        )
    book.close()
    return time.perf_counter() - started


class CpuMeter:
    """CPU seconds spent by this process and by its database server process over a block.

    Wall time on a shared 2-core machine moves with everything else running; CPU time per row does not, and
    it shows which side (Python or the database) limits the import. The server process is PostgreSQL's
    backend of this connection, read from /proc (same machine); SQLite runs inside this process."""

    def __enter__(self):
        self.python, self.database = time.process_time(), backend_cpu()
        return self

    def __exit__(self, *exc):
        self.python = time.process_time() - self.python
        self.database = backend_cpu() - self.database


def backend_cpu() -> float:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_figures(prefix: str, meter: CpuMeter, rows: int) -> dict:
    return {
        f"{prefix}_python_cpu_us_per_row": meter.python / rows * 1e6,
        f"{prefix}_database_cpu_us_per_row": meter.database / rows * 1e6,
    }


def raw_pipeline(path: Path) -> tuple[float, dict]:
    """calamine read + COPY (PostgreSQL) or executemany in one transaction (SQLite) into a bare table."""
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute(f"CREATE TABLE bench_raw ({columns})")
    started = time.perf_counter()
    with CpuMeter() as meter:
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        rows = grid[1:]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_raw FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(HEADERS))
                cursor.executemany(f"INSERT INTO bench_raw VALUES ({marks})", rows)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw")
    return elapsed, cpu_figures("raw", meter, len(rows))


def run_import(path: Path, user) -> dict:
    from dangjian.core import importing
    from dangjian.core.audit import Actor
    from dangjian.members.importers import MemberImporter
    from dangjian.members.models import Member

    actor = Actor(user, via="import", request_id="bench", client_ip="127.0.0.1")
    content = path.read_bytes()
    started = time.perf_counter()
    batch = importing.preview(MemberImporter(), actor, path.name, content)
    preview_s = time.perf_counter() - started
    started = time.perf_counter()
    batch = importing.commit(actor, batch)
    commit_s = time.perf_counter() - started
    assert batch.imported_rows == batch.total_rows == Member.objects.count(), (
        batch.errors[:3],
        batch.imported_rows,
    )
    return {"preview_s": preview_s, "commit_s": commit_s, "imported": batch.imported_rows, "batch": batch}


@contextlib.contextmanager
def timed_change_hooks():
    """The wall time spent in the member change hooks (the statistics roll-ups' upkeep) inside the block:
    what the roll-ups add to an import, measured apart from the run-to-run noise of the whole import
    (±15 % between runs of the same import on this machine)."""
    from dangjian.members import services

    spent = {"s": 0.0}

    def timed(hook):
        def run(*args):
            started = time.perf_counter()
            try:
                return hook(*args)
            finally:
                spent["s"] += time.perf_counter() - started

        return run

    hooks = services._change_hooks[:]
    services._change_hooks[:] = [timed(hook) for hook in hooks]
    try:
        yield spent
    finally:
        services._change_hooks[:] = hooks


def run_one_step(path: Path, user, earlier_batch) -> dict:
    """Undo the two-step batch (timed, when there is one), then import the same file in one step (timed)."""
    from dangjian.core import importing
    from dangjian.core.audit import Actor
    from dangjian.members.importers import MemberImporter
    from dangjian.members.models import Member

    actor = Actor(user, via="import", request_id="bench", client_ip="127.0.0.1")
    figures = {}
    if earlier_batch is not None:
        started = time.perf_counter()
        importing.undo(actor, earlier_batch)
        figures["undo_s"] = time.perf_counter() - started
    assert not Member.objects.exists()
    content = path.read_bytes()
    started = time.perf_counter()
    with CpuMeter() as meter, timed_change_hooks() as hooks:
        batch = importing.import_at_once(MemberImporter(), actor, path.name, content)
    figures["one_step_s"] = time.perf_counter() - started
    figures["one_step_hooks_s"] = hooks["s"]
    assert batch.imported_rows == batch.total_rows == Member.objects.count(), batch.errors[:3]
    return {**figures, **cpu_figures("one_step", meter, batch.total_rows)}


def database_floor(rows: int) -> dict:
    """The database's own cost of the rows an import writes, with no Python work at all (PostgreSQL).

    The members, events and tags the import wrote are copied out, the tables emptied, and the same bytes
    COPYed back in and committed: every index, constraint and foreign-key check of the schema, nothing
    else. No import of these rows into this schema can take less database time than this."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return {}
    tables = ("members_member", "members_memberevent", "members_member_tags")
    saved = {}
    with connection.cursor() as cursor:
        for table in tables:
            data = bytearray()
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    data += block
            saved[table] = bytes(data)
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    started = time.perf_counter()
    with CpuMeter() as meter, transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(saved[table])
    floor_s = time.perf_counter() - started
    return {"floor_s": floor_s, **cpu_figures("floor", meter, rows)}


def vacuum_analyze() -> None:
    """What autovacuum does some minutes after a large import: the list figures are of a settled table."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def timed(call, runs: int) -> list[float]:
    call()
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


def measure_lists(user, runs: int = 21) -> dict:
    """Server time of the list page and list API (in-process client), and the bare JSON view beside it."""
    from django.conf import settings
    from django.test import Client
    from django.urls import clear_url_caches

    from dangjian.accounts.services import issue_token
    from dangjian.core.audit import Actor

    settings.ROOT_URLCONF = "bench_urls"
    settings.ALLOWED_HOSTS = ["*"]
    clear_url_caches()
    client = Client()
    client.force_login(user)
    _, token = issue_token(Actor(user, via="page"), name="bench")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    page = timed(lambda: client.get("/members/"), runs)
    api = timed(lambda: client.get("/api/v1/members", **auth), runs)
    bare = timed(lambda: client.get("/bench/members.json", **auth), runs)
    med = statistics.median
    return {
        "page_ms": med(page) * 1000,
        "api_ms": med(api) * 1000,
        "bare_ms": med(bare) * 1000,
        "api_rps": 1 / med(api),
        "bare_rps": 1 / med(bare),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--list", action="store_true", help="also time the list page and API at this size")
    parser.add_argument(
        "--no-rollups",
        action="store_true",
        help="import without kept statistics roll-ups (to measure what their upkeep adds to the import)",
    )
    parser.add_argument(
        "--one-step-only",
        action="store_true",
        help="skip the preview + commit and its undo (at 1,000,000 rows they take a quarter of an hour)",
    )
    args = parser.parse_args()
    url = database_url()
    recreate_database(url)
    os.environ["DANGJIAN_IMPORT_MAX_ROWS"] = str(max(args.rows, 50_000))
    setup(url)
    from django.conf import settings
    from django.db import connection

    settings.IMPORT_MAX_FILE_BYTES = 1024 * 1024 * 1024
    user, codes = build_orgs()
    if not args.no_rollups:
        keep_rollups()
    path = ROOT / "var" / f"bench_members_{args.rows}.xlsx"
    generate_s = write_file(path, args.rows, codes) if not path.exists() else 0.0
    raw_s, raw_cpu = raw_pipeline(path)
    figures = {
        "database": connection.vendor,
        "database_version": ".".join(map(str, connection.Database.sqlite_version_info))
        if connection.vendor == "sqlite"
        else connection.cursor().connection.info.server_version,
        "rows": args.rows,
        "rollups_kept": not args.no_rollups,
        "file_mb": path.stat().st_size / 1024 / 1024,
        "generate_s": generate_s,
        "raw_s": raw_s,
        **raw_cpu,
    }
    if not args.one_step_only:
        figures.update(run_import(path, user))
        figures["import_s"] = figures["preview_s"] + figures["commit_s"]
    figures.update(run_one_step(path, user, figures.pop("batch", None)))
    figures.update(database_floor(args.rows))
    for key in ("raw", "preview", "commit", "import", "one_step", "undo", "floor"):
        if f"{key}_s" in figures:
            figures[f"{key}_rows_per_s"] = args.rows / figures[f"{key}_s"]
    figures["one_step_vs_raw"] = figures["one_step_rows_per_s"] / figures["raw_rows_per_s"]
    if args.list:
        vacuum_analyze()
        figures.update(measure_lists(user))
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
