"""Benchmark of the audit trail export: a year of one process, 2,000 occurrences, 500 files.

Run: ``.venv/bin/python benchmarks/audit_export.py [--runs N] [--file-kb K] [--keep]``.

Builds a temporary SQLite database (``migrate``) and media folder, one organisation with two
processes (the second one is noise the export must leave out), a routine of the first with four
steps (a reading with limits, pass/fail, a note, a photo) and 2,000 completed occurrences over
a year with their 8,000 step records, 500 evidence files of ``--file-kb`` KB of random bytes
(incompressible, like photos), a weekly KPI (52 values), 60 nonconformances with 2 actions each
and their history. Then it times :func:`twofold.quality.audit.write_zip` for the whole year into
a file (``--runs`` times, after one warm-up) and prints::

    RESULT name=audit_export_year p50_s=<x> max_s=<y> queries=<q> zip_mb=<m> files=<n>

Budget: p50 <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_S = 10.0
OCCURRENCES = 2000
FILES = 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file-kb", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    os.environ["TWOFOLD_VAR_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ["TWOFOLD_STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    try:
        return run(args.runs, args.file_kb, workdir)
    finally:
        if args.keep:
            print(f"Kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def build(file_kb: int) -> tuple[object, object]:
    import datetime as dt
    import random

    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.core.models import HistoryEntry
    from twofold.operations.models import (
        Evidence,
        Kpi,
        Measurement,
        Occurrence,
        Process,
        Routine,
        RoutineStep,
        StepEvidence,
    )
    from twofold.quality.models import CapaAction, Nonconformance

    rng = random.Random(7)
    org = Organisation.objects.create(name="Bench Works", slug="bench")
    user = User.objects.create_user(email="bench@example.com", full_name="Bea Bench")
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    process = Process.objects.create(organisation=org, name="Line 2 assembly", owner=user)
    noise = Process.objects.create(organisation=org, name="Paint shop", owner=user)
    end = timezone.now().replace(microsecond=0)
    start = end - dt.timedelta(days=365)
    steps_of: dict[int, list[RoutineStep]] = {}
    routines = []
    for proc, name in ((process, "Torque check"), (noise, "Paint thickness")):
        routine = Routine.objects.create(
            organisation=org, process=proc, name=name, rrule="FREQ=DAILY", starts_on=start.date()
        )
        routines.append(routine)
        steps_of[routine.pk] = RoutineStep.objects.bulk_create(
            [
                RoutineStep(
                    organisation=org,
                    routine=routine,
                    position=1,
                    text="Torque",
                    evidence=Evidence.NUMBER,
                    min_value=40,
                    max_value=50,
                    unit="Nm",
                ),
                RoutineStep(
                    organisation=org,
                    routine=routine,
                    position=2,
                    text="Locker applied",
                    evidence=Evidence.PASS_FAIL,
                ),
                RoutineStep(
                    organisation=org,
                    routine=routine,
                    position=3,
                    text="Remark",
                    evidence=Evidence.NOTE,
                ),
                RoutineStep(
                    organisation=org,
                    routine=routine,
                    position=4,
                    text="Photo",
                    evidence=Evidence.FILE,
                ),
            ]
        )
    media = Path(settings.MEDIA_ROOT) / "operations" / "evidence" / "bench"
    media.mkdir(parents=True, exist_ok=True)
    step = dt.timedelta(seconds=365 * 86400 / OCCURRENCES)
    for routine, count, files in ((routines[0], OCCURRENCES, FILES), (routines[1], 300, 20)):
        occurrences = Occurrence.objects.bulk_create(
            Occurrence(
                organisation=org,
                routine=routine,
                due=start + step * i,
                status="done",
                completed_at=start + step * i - dt.timedelta(minutes=5),
                completed_by=user,
                nonconforming=i % 40 == 0,
            )
            for i in range(count)
        )
        with_file = set(rng.sample(range(count), files))
        rows = []
        steps = steps_of[routine.pk]
        for i, occ in enumerate(occurrences):
            rows += [
                StepEvidence(
                    organisation=org,
                    occurrence=occ,
                    step=steps[0],
                    number=round(rng.gauss(45, 3), 1),
                ),
                StepEvidence(organisation=org, occurrence=occ, step=steps[1], passed=True),
                StepEvidence(
                    organisation=org,
                    occurrence=occ,
                    step=steps[2],
                    note=f"Shift {i % 3 + 1}, wrench TW-{i % 12:02d}",
                ),
            ]
            if i in with_file:
                name = f"{routine.pk}-{occ.pk}.jpg"
                (media / name).write_bytes(os.urandom(file_kb * 1024))
                rows.append(
                    StepEvidence(
                        organisation=org,
                        occurrence=occ,
                        step=steps[3],
                        file=f"operations/evidence/bench/{name}",
                    )
                )
        StepEvidence.objects.bulk_create(rows, batch_size=2000)
    kpi = Kpi.objects.create(
        organisation=org,
        process=process,
        name="First pass yield",
        unit="%",
        target=98,
        red_threshold=95,
    )
    Measurement.objects.bulk_create(
        Measurement(
            organisation=org,
            kpi=kpi,
            measured_on=(start + dt.timedelta(weeks=w)).date(),
            value=round(rng.gauss(97, 1), 2),
        )
        for w in range(52)
    )
    ct = ContentType.objects.get_for_model(Nonconformance)
    for n in range(60):
        nc = Nonconformance.objects.create(
            organisation=org,
            process=process,
            number=n + 1,
            title=f"Torque out of limits {n}",
            source="out_of_limits",
            raised_at=start + dt.timedelta(days=n * 6),
            raised_by=user,
            containment="Re-torqued",
            root_cause="Wrench drift",
        )
        CapaAction.objects.bulk_create(
            CapaAction(
                organisation=org,
                nonconformance=nc,
                description=f"Action {k}",
                owner=user,
                due_on=(nc.raised_at + dt.timedelta(days=7)).date(),
            )
            for k in range(2)
        )
        HistoryEntry.objects.create(
            organisation=org,
            actor=user,
            content_type=ct,
            object_id=nc.pk,
            object_repr=str(nc),
            action="opened",
        )
    return process, user


def run(runs: int, file_kb: int, workdir: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from twofold.quality import audit

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    process, user = build(file_kb)
    print(f"Built in {time.perf_counter() - started:.1f} s", flush=True)
    today = timezone.localdate()
    scope = audit.AuditScope.checked(process, today.replace(year=today.year - 1), today)  # type: ignore[arg-type]
    target = workdir / "audit.zip"
    times = []
    counts: dict[str, int] = {}
    queries = 0
    for n in range(runs + 1):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            with target.open("wb") as out:
                counts = audit.write_zip(scope, out, by=user)
            elapsed = time.perf_counter() - t
        queries = len(ctx)
        if n:  # the first run warms the caches
            times.append(elapsed)
    p50 = statistics.median(times)
    size = target.stat().st_size / 1e6
    print(f"Counts: {counts}")
    print(
        f"RESULT name=audit_export_year p50_s={p50:.2f} max_s={max(times):.2f} "
        f"queries={queries} zip_mb={size:.1f} files={counts['files']}"
    )
    if counts["occurrences"] != OCCURRENCES or counts["files"] != FILES:
        print("WRONG COUNTS: the export must hold exactly the process's year")
        return 1
    if p50 > BUDGET_S:
        print(f"OVER BUDGET: p50 {p50:.2f} s > {BUDGET_S:.0f} s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
