"""Benchmark of a KPI chart page with a long, corrected history, in-process.

Run: ``.venv/bin/python benchmarks/kpi_web.py [--runs N] [--keep]``.

Builds a temporary SQLite database (``migrate``), creates the demo organisation and its people
(``twofold.demo.people.load_people``), one process and one weekly KPI with 5 years of values
(261 weeks), then corrects 20 of them and voids 2 through the services (as people would). Then it
signs in as the demo user with Django's test client and times the KPI page (view + template +
SQL; no HTTP server) and the page of one corrected value, reporting p50/p95 in milliseconds over
``--runs`` requests after two warm-up requests, the SQL queries per request, and the CPU time of
the process per request (on a shared, loaded machine the wall time includes waiting for a core;
the CPU time does not)::

    RESULT name=<page> p50_ms=<x> p95_ms=<y> queries=<q> cpu_p50_ms=<a> cpu_p95_ms=<b>

Budget: the KPI chart page (``kpi_chart``) p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGETS = {"kpi_chart": 50.0, "kpi_value": 50.0}
WEEKS = 261
CORRECTIONS = 20
VOIDS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    os.environ["TWOFOLD_VAR_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ["TWOFOLD_STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    try:
        return run(args.runs)
    finally:
        if args.keep:
            print(f"Database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(runs: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from twofold.demo.people import DEMO_EMAIL, load_people
    from twofold.operations import corrections, services

    call_command("migrate", verbosity=0)
    org, _user = load_people()
    user = org.memberships.get(user__email=DEMO_EMAIL).user
    rng = random.Random(7)
    process = services.create_process(actor=user, organisation=org, name="Bench line")
    kpi = services.create_kpi(
        actor=user,
        process=process,
        name="Scrap rate",
        unit="%",
        good_direction="down",
        target=2.5,
        amber_threshold=3.0,
        red_threshold=3.5,
    )
    first = dt.date.today() - dt.timedelta(weeks=WEEKS)
    rows = [
        (i, first + dt.timedelta(weeks=i), round(2.8 + rng.gauss(0, 0.25), 2), "")
        for i in range(WEEKS)
    ]
    saved = services.add_measurements(actor=user, kpi=kpi, rows=rows, confirmed=True)
    for m in rng.sample(saved, CORRECTIONS + VOIDS)[:CORRECTIONS]:
        corrections.correct_measurement(
            actor=user,
            measurement=m,
            value=round(m.value + 0.05, 2),
            reason="Re-read from the shift report",
            expected_version=m.version,
            confirmed=True,
        )
    for m in [m for m in saved if m.original_value is None][:VOIDS]:
        corrections.void_measurement(
            actor=user, measurement=m, reason="Counted twice", expected_version=m.version
        )
    corrected = next(m for m in saved if m.original_value is not None)
    print(f"{WEEKS} weekly values, {CORRECTIONS} corrected, {VOIDS} voided", flush=True)

    client = Client()
    client.force_login(user)
    pages = {
        "kpi_chart": f"/operations/kpis/{kpi.pk}/",
        "kpi_value": f"/operations/measurements/{corrected.pk}/",
    }
    failed = False
    for name, url in pages.items():
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        cpu.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        cpu95 = cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))]
        print(
            f"RESULT name={name} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={len(queries)} "
            f"cpu_p50_ms={statistics.median(cpu):.1f} cpu_p95_ms={cpu95:.1f}"
        )
        if name in BUDGETS and p95 > BUDGETS[name]:
            print(f"OVER BUDGET: {name} p95 {p95:.1f} ms > {BUDGETS[name]:.0f} ms")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
