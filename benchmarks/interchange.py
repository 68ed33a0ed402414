"""Benchmark: a 10,000-task Microsoft Project file imported into SQLite and exported again.

Usage: ``.venv/bin/python benchmarks/interchange.py [--tasks 10000] [--no-mpxj]
[--database-url postgres://...]`` (an empty database; a fresh SQLite file by default), or
``… --backup`` for the backup benchmark (see ``run_backup``: ``twofold backup`` of the large
demo ≤ 30 s, plus the organisation export and import of its organisation; last line
``RESULT name=backup rows=<n> backup_s=<t> backup_cpu_s=<t> archive_mb=<m> org_rows=<n>
org_export_s=<t> org_import_s=<t> org_import_cpu_s=<t> peak_mb=<m> load=<l>``; with
``--database-url`` of a database that already holds the large demo, it is not loaded again)

A plan is generated (phases > work packages > activities, ~1.5 FS/SS links per activity with
lags, a calendar with holidays, 50 work resources with one assignment per activity) and written
as MSPDI by the engine's writer. Timed, on a fresh SQLite database in a temporary folder:

* ``import_s``: end to end what the page and the background job do — store the upload, read it
  with the tolerant importer, map it, schedule the file's plan and the project's plan (the
  preview), then create the calendar, project, tasks, links and assignments and schedule the
  project (``upload_mspdi`` + ``preview_upload`` + ``apply_upload``);
* ``export_s``: ``export_mspdi`` of that project;
* ``mpxj_read_s`` (the peer): MPXJ's ``UniversalProjectReader.read`` of the same file, in a
  child process (its JVM is not counted).

``peak_mb`` is this process's peak resident memory (generation included). Budgets (issue 17):
import ≤ 10 s and ≤ 500 MB, export ≤ 5 s. The machine is shared: figures are noisy.

``--only xlsx`` (or ``all``): a generated XLSX task list of ``--xlsx-rows`` rows (outline
numbers, durations, "3FS+2d" predecessors, assignee e-mails, start dates) imported end to end
into a new project: upload, the mapping page's check, import (budget ≤ 10 s for 10,000 rows).

RESULT lines: ``RESULT name=mspdi_import tasks=<n> import_s=<t> import_cpu_s=<t> export_s=<t>
export_cpu_s=<t> mpxj_read_s=<t> peak_mb=<m> load=<l>`` and ``RESULT name=xlsx_import rows=<n>
import_s=<t> cpu_s=<t> tasks=<n> links=<n> load=<l>`` (``*cpu_s``: this process's CPU time of
the step, the fairer figure on a loaded machine; ``load``: the 1-minute load average at the
end). ``--profile DIR`` writes a cProfile of each timed step to DIR (it slows them down).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROFILE_DIR: Path | None = None


class _Timed:
    """Wall and CPU time of a block; with ``--profile DIR`` also a cProfile of it in DIR."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.profiler: Any = None

    def __enter__(self) -> _Timed:
        if PROFILE_DIR is not None:
            import cProfile

            self.profiler = cProfile.Profile()
            self.profiler.enable()
        self.began, self.cpu_began = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.began
        self.cpu = time.process_time() - self.cpu_began
        if self.profiler is not None:
            self.profiler.disable()
            assert PROFILE_DIR is not None
            self.profiler.dump_stats(PROFILE_DIR / f"{self.name}.prof")


def load() -> str:
    """The 1-minute load average (the machine is shared: figures are noisy)."""
    return f"{os.getloadavg()[0]:.1f}"


MPXJ_READER = """
import sys, time, mpxj, jpype
jpype.startJVM()
reader = jpype.JClass("org.mpxj.reader.UniversalProjectReader")()
began = time.perf_counter()
project = reader.read(sys.argv[1])
print("MPXJ_SECONDS", time.perf_counter() - began, project.getTasks().size())
"""


def generate(size: int, seed: int = 7) -> bytes:
    """MSPDI bytes of a ``size``-activity plan (see the module docstring)."""
    from twofold.engine.calendars import make_calendar
    from twofold.engine.plan import LagKind, Link, LinkType, Plan, Task
    from twofold.interop.mspdi import (
        MspdiAssignment,
        MspdiDocument,
        MspdiResource,
        write_mspdi,
    )

    rng = random.Random(seed)
    holidays = [(date(y, 12, 24), date(y, 12, 26)) for y in range(2026, 2040)]
    calendar = make_calendar(None, holidays, name="Standard")
    tasks: list[Task] = []
    links: list[Link] = []
    uid = 0
    activities: list[int] = []
    per_package, packages_per_phase = 20, 25
    while len(activities) < size:
        uid += 1
        phase = uid
        tasks.append(Task(uid=phase, name=f"Phase {phase}"))
        for _ in range(packages_per_phase):
            if len(activities) >= size:
                break
            uid += 1
            package = uid
            tasks.append(Task(uid=package, name=f"Package {package}", parent=phase))
            first = len(activities)
            for _ in range(per_package):
                if len(activities) >= size:
                    break
                uid += 1
                tasks.append(
                    Task(
                        uid=uid,
                        name=f"Activity {uid}",
                        parent=package,
                        duration=rng.randint(1, 10) * 8 * 3600,
                    )
                )
                if len(activities) > first:
                    links.append(Link(pred=activities[-1], succ=uid))
                if len(activities) > 50 and rng.random() < 0.5:
                    pred = activities[
                        rng.randrange(max(0, len(activities) - 400), len(activities) - 1)
                    ]
                    links.append(
                        Link(
                            pred=pred,
                            succ=uid,
                            type=LinkType.SS,
                            lag=rng.randint(0, 3) * 8 * 3600,
                            lag_kind=LagKind.WORKING,
                        )
                    )
                activities.append(uid)
    seen: set[tuple[int, int]] = set()
    unique = [k for k in links if (k.pred, k.succ) not in seen and not seen.add((k.pred, k.succ))]
    plan = Plan(
        start=datetime(2026, 3, 2, 8),
        tasks=tuple(tasks),
        links=tuple(unique),
        calendars={"1": calendar},
        calendar="1",
        name="Benchmark plant",
    )
    resources = tuple(
        MspdiResource(uid=n, name=f"Person {n}", type=1, calendar=None, email=f"p{n}@example.com")
        for n in range(1, 51)
    )
    assignments = tuple(
        MspdiAssignment(
            uid=n,
            task_uid=a,
            resource_uid=1 + n % 50,
            units=1.0,
            work_seconds=0,
            contour=0,
            start=None,
            finish=None,
        )
        for n, a in enumerate(activities, start=1)
    )
    return write_mspdi(MspdiDocument(plan, (), resources, assignments, guid="BENCH-0001"))


def mpxj_read(path: Path, timeout: float) -> str:
    try:
        import jpype  # noqa: F401
        import mpxj  # noqa: F401
    except ImportError as exc:
        return f"n/a ({exc})"
    try:
        done = subprocess.run(
            [sys.executable, "-c", MPXJ_READER, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    for line in done.stdout.splitlines():
        if line.startswith("MPXJ_SECONDS"):
            return f"{float(line.split()[1]):.3f}"
    return "failed"


def run(size: int, use_mpxj: bool, workdir: Path) -> str:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.urls import reverse

    reverse("projects:list")  # load the URLconf (and API schemas) once, as a server has
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.interchange import mspdi_export, mspdi_import

    org = Organisation.objects.create(name="Bench Works", slug="bench")
    owner = User.objects.create_user(email="bench@example.com", full_name="Bea Bench")
    Membership.objects.create(organisation=org, user=owner, role=Role.OWNER)
    for n in range(1, 51):
        person = User.objects.create_user(email=f"p{n}@example.com", full_name=f"Person {n}")
        Membership.objects.create(organisation=org, user=person, role=Role.MEMBER)

    began = time.perf_counter()
    data = generate(size)
    generated = time.perf_counter() - began
    path = workdir / "plan.xml"
    path.write_bytes(data)
    print(f"generated {size} activities, {len(data) / 2**20:.1f} MiB in {generated:.2f} s")

    with _Timed("mspdi_import") as timed:
        upload = mspdi_import.upload_mspdi(
            actor=owner, organisation=org, file_name="plan.xml", data=data
        )
        if upload.preview is None:
            mspdi_import.preview_upload(upload)
            upload.refresh_from_db()
        previewed = time.perf_counter() - timed.began
        mapping = {int(r["uid"]): r["member"] for r in upload.preview["resources"]}
        project = mspdi_import.apply_upload(
            actor=owner, upload=upload, mode="new", code="BENCH", resource_map=mapping
        )
    imported = timed.wall
    assert project is not None
    print(f"preview {previewed:.2f} s, import (with preview) {imported:.2f} s")

    with _Timed("mspdi_export") as exporting:
        exported = mspdi_export.export_mspdi(project)
    print(f"export {exporting.wall:.2f} s, {len(exported) / 2**20:.1f} MiB")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mpxj = mpxj_read(path, 600) if use_mpxj else "skipped"
    return (
        f"RESULT name=mspdi_import tasks={size} import_s={imported:.2f} "
        f"import_cpu_s={timed.cpu:.2f} export_s={exporting.wall:.2f} "
        f"export_cpu_s={exporting.cpu:.2f} mpxj_read_s={mpxj} peak_mb={peak:.0f} load={load()}"
    )


def generate_xlsx(rows: int, seed: int = 7) -> bytes:
    """A task list as spreadsheet users keep one: outline numbers (phases of 10 work packages
    of 10 activities), durations in days/weeks/hours, predecessors in "3FS+2d" notation (by
    row ID), an assignee e-mail on every activity, a start date on each work package's first."""
    import io

    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tasks")
    sheet.append(["WBS", "Task name", "Duration", "Start", "Predecessors", "Assignee", "Notes"])
    n = phase = package = activity = 0
    last_activity = 0
    while n < rows:
        if n % 111 == 0:
            phase, package = phase + 1, 0
            n += 1
            sheet.append([f"{phase}", f"Phase {phase}", None, None, None, None, None])
            continue
        if (n % 111 - 1) % 11 == 0:
            package, activity = package + 1, 0
            n += 1
            sheet.append(
                [f"{phase}.{package}", f"Package {phase}.{package}", None, None, None, None, None]
            )
            continue
        activity += 1
        n += 1
        start = datetime(2026, 1 + phase % 12, 1 + package) if activity == 1 else None
        preds = []
        if activity > 1 and last_activity:
            preds.append(
                f"{last_activity}FS+{rng.randint(0, 2)}d"
                if rng.random() < 0.5
                else str(last_activity)
            )
        if activity > 2 and rng.random() < 0.4:
            preds.append(f"{last_activity - 1}SS+{rng.randint(1, 4)}h")
        duration = rng.choice(["1d", "2d", "3d", "5d", "1w", "4h", "2w"])
        sheet.append(
            [f"{phase}.{package}.{activity}", f"Activity {n}", duration, start, "; ".join(preds),
             f"p{rng.randint(1, 50)}@example.com", "Check the drawings" if n % 7 == 0 else None]
        )  # fmt: skip
        last_activity = n
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_xlsx(size: int) -> str:
    """The XLSX task import end to end (as the pages do it): upload (read and store), the
    check the mapping page shows, then the import (checked again, created in bulk, scheduled)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.urls import reverse

    reverse("projects:list")
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.interchange import sheet_import
    from twofold.projects.models import Link, Task

    org = Organisation.objects.create(name="Sheet Works", slug="sheet-bench")
    owner = User.objects.create_user(email="sheet@example.com", full_name="Sam Sheet")
    Membership.objects.create(organisation=org, user=owner, role=Role.OWNER)
    for n in range(1, 51):
        email = f"p{n}@example.com"
        person = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, full_name=f"Person {n}"
        )
        Membership.objects.get_or_create(organisation=org, user=person, role=Role.MEMBER)
    data = generate_xlsx(size)
    print(f"generated {size} rows, {len(data) / 2**20:.1f} MiB XLSX")
    with _Timed("xlsx_import") as timed:
        upload = sheet_import.upload_sheet(
            actor=owner, organisation=org, file_name="plan.xlsx", data=data
        )
        checked = sheet_import.check_upload(upload, upload.mapping)
        assert checked.ok, checked.errors[:5]
        checked_s = time.perf_counter() - timed.began
        project = sheet_import.import_upload(actor=owner, upload=upload, mapping=upload.mapping)
    total = timed.wall
    tasks = Task.objects.filter(project=project).count()
    links = Link.objects.filter(project=project).count()
    print(
        f"upload + check {checked_s:.2f} s, import {total - checked_s:.2f} s: {tasks} tasks, {links} links"
    )
    return (
        f"RESULT name=xlsx_import rows={size} import_s={total:.2f} cpu_s={timed.cpu:.2f} "
        f"tasks={tasks} links={links} load={load()}"
    )


# --- backup of the large demo (``--backup``) ---------------------------------------------------


def run_backup(workdir: Path) -> str:
    """``twofold backup`` of the large demo on SQLite (budget ≤ 30 s), then the organisation
    export and import of its organisation, each timed; loading the demo is not timed."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from twofold.accounts.models import Organisation
    from twofold.demo.large import SLUG, load_large

    if not Organisation.objects.filter(slug=SLUG).exists():  # a --database-url copy may have it
        began = time.perf_counter()
        load_large()
        print(f"large demo loaded in {time.perf_counter() - began:.0f} s")
    from django.db import connection

    from twofold.accounts.models import Role, User
    from twofold.interchange import org_archive
    from twofold.interchange.backup import Database, create_backup

    archive = workdir / "backup.zip"
    with _Timed("backup") as backing:
        manifest = create_backup(
            archive, Database.from_settings(connection.settings_dict), Path(settings.MEDIA_ROOT)
        )
    rows = sum(manifest.tables.values())
    size_mb = archive.stat().st_size / 2**20
    print(
        f"backup {backing.wall:.2f} s (CPU {backing.cpu:.2f} s): {len(manifest.tables)} tables, "
        f"{rows} rows, {size_mb:.1f} MiB"
    )

    organisation = max(Organisation.objects.all(), key=lambda o: o.projects.count())
    with _Timed("org_export") as exporting:
        exported = org_archive.export_bytes(organisation)
    importer = User.objects.filter(
        memberships__role=Role.OWNER, memberships__organisation=organisation
    ).first()
    with _Timed("org_import") as importing:
        result = org_archive.import_organisation(
            actor=importer, source=io.BytesIO(exported), name="Bench copy"
        )
    org_rows = sum(result.counts.values())
    print(
        f"organisation export {exporting.wall:.2f} s ({len(exported) / 2**20:.1f} MiB), "
        f"import {importing.wall:.2f} s ({org_rows} rows)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"RESULT name=backup rows={rows} backup_s={backing.wall:.2f} "
        f"backup_cpu_s={backing.cpu:.2f} archive_mb={size_mb:.1f} org_rows={org_rows} "
        f"org_export_s={exporting.wall:.2f} org_import_s={importing.wall:.2f} "
        f"org_import_cpu_s={importing.cpu:.2f} peak_mb={peak:.0f} load={load()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--no-mpxj", action="store_true")
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database to use instead of a fresh SQLite file (e.g. PostgreSQL)",
    )
    parser.add_argument("--xlsx-rows", type=int, default=10_000)
    parser.add_argument("--only", choices=["all", "mspdi", "xlsx"], default="all")
    parser.add_argument("--backup", action="store_true", help="the backup benchmark instead")
    parser.add_argument(
        "--profile", metavar="DIR", default="", help="write a cProfile of each timed step to DIR"
    )
    args = parser.parse_args()
    global PROFILE_DIR
    if args.profile:
        PROFILE_DIR = Path(args.profile)
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="interchange-bench-"))
    os.environ["TWOFOLD_VAR_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ["TWOFOLD_STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    try:
        if args.backup:
            print(run_backup(workdir))
            return 0
        if args.only in ("all", "mspdi"):
            print(run(args.tasks, not args.no_mpxj, workdir))
        if args.only in ("all", "xlsx"):
            print(run_xlsx(args.xlsx_rows))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
