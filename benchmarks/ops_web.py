"""Benchmark of the operations pages on the large operations data, in-process.

Run: ``.venv/bin/python benchmarks/ops_web.py [--runs N] [--keep]``.

Builds a temporary SQLite database (``migrate``), creates the demo organisation and its people
(``twofold.demo.people.load_people``) and loads ``twofold.operations.demo_large.load`` into it
(~40 processes, 120 KPIs x 104 weekly values, 50 routines with a year of occurrences, 6 queues
with 20,000 requests). Then it signs in as the demo user with Django's test client and times each
page in-process (view + template + SQL; no HTTP server), reporting p50/p95 in milliseconds over
``--runs`` requests after two warm-up requests, and the SQL queries per request::

    RESULT name=<page> p50_ms=<x> p95_ms=<y> queries=<q>

Budget: the overview (``ops_overview``) p95 <= 50 ms with a constant number of queries.
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

BUDGETS = {"ops_overview": 50.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ops-bench-"))
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
    from twofold.operations import demo_large
    from twofold.operations.models import Queue, Routine

    call_command("migrate", verbosity=0)
    org, _user = load_people()
    people = {m.user.full_name: m.user for m in org.memberships.select_related("user")}
    started = time.perf_counter()
    summary = demo_large.load(org, people)
    print(f"Loaded in {time.perf_counter() - started:.1f} s: {summary}", flush=True)

    client = Client()
    client.force_login(org.memberships.get(user__email=DEMO_EMAIL).user)
    queue = Queue.objects.filter(organisation=org).order_by("pk").first()
    routine = Routine.objects.filter(organisation=org).order_by("pk").first()
    assert queue is not None and routine is not None
    pages = {
        "ops_overview": "/operations/",
        "ops_queue_board": f"/operations/queues/{queue.pk}/",
        "ops_routine": f"/operations/routines/{routine.pk}/",
        "ops_calendars": "/calendars/",
    }
    failed = False
    for name, url in pages.items():
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"RESULT name={name} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={len(queries)}")
        if name in BUDGETS and p95 > BUDGETS[name]:
            print(f"OVER BUDGET: {name} p95 {p95:.1f} ms > {BUDGETS[name]:.0f} ms")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
