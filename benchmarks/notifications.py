"""Benchmark of notifications: the bell's unread count, the inbox page, sending the outbox.

Run: ``.venv/bin/python benchmarks/notifications.py [--runs N]``.

Builds a temporary SQLite database (``migrate``) with one organisation, a project with a task
and two people; gives one of them 10,000 notifications (a third unread) and 100 more people
some each. Then, through Django's test client (the whole request: middleware, session, view,
template), it times:

* ``GET /notifications/bell/`` — the unread count the header loads on every page (budget 5 ms
  server time, from the ``Server-Timing`` header), and the COUNT query alone;
* ``GET /notifications/`` — the inbox's first page, unread page and an older page by cursor
  (server time p95 50 ms);
* sending 1,000 queued e-mails through the file backend into the temporary folder (10 s).

It prints one line per figure::

    RESULT name=<what> p50_ms=<x> p95_ms=<y> budget_ms=<b> queries=<q>
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

NOTIFICATIONS = 10_000
EMAILS = 1_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    os.environ["TWOFOLD_VAR_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    os.environ["EMAIL_FILE_PATH"] = str(workdir / "mail")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ["TWOFOLD_STATIC_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    try:
        return run(args.runs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _pcts(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def _server_ms(response) -> float:  # type: ignore[no-untyped-def]
    """The server's own time for the request (``Server-Timing``, from the first middleware)."""
    return float(response["Server-Timing"].split("dur=")[1])


def run(runs: int) -> int:
    import datetime as dt

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    from twofold.accounts.models import Membership, Organisation, Role, User
    from twofold.notifications import kinds, outbox, selectors, services
    from twofold.notifications.models import Notification, OutboxEmail
    from twofold.projects import services as project_services

    org = Organisation.objects.create(name="Bench", slug="bench")
    owner = User.objects.create_user(email="owner@example.com", password=None, full_name="Owner")
    mel = User.objects.create_user(email="mel@example.com", password=None, full_name="Mel")
    for user, role in ((owner, Role.OWNER), (mel, Role.MEMBER)):
        Membership.objects.create(organisation=org, user=user, role=role)
    project = project_services.create_project(
        actor=owner, organisation=org, name="Bench", code="B", target_start=dt.date(2025, 1, 6)
    )
    task, _ = project_services.create_task(actor=owner, project=project, name="Task")
    now = timezone.now()
    rows = [
        Notification(
            recipient=mel,
            organisation=org,
            kind=kinds.COMMENT,
            actor=owner,
            target_id=task.pk,
            summary=f"Owner commented on Task ({i})",
            url="/",
            created_at=now - dt.timedelta(minutes=i),
            read_at=None if i % 3 == 0 else now,
        )
        for i in range(NOTIFICATIONS)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    for n in range(100):  # other people's rows in the same table
        other = User.objects.create_user(email=f"p{n}@example.com", password=None)
        Notification.objects.bulk_create(
            [
                Notification(recipient=other, organisation=org, kind="comment", summary="x")
                for _ in range(50)
            ]
        )
    client = Client()
    client.force_login(mel)
    cursor = client.get("/api/me/notifications?limit=50").json()["next"]
    checks = [
        ("unread_count_bell", "/notifications/bell/", 5.0),
        ("unread_count_api", "/api/me/notifications/unread-count", 5.0),
        ("inbox_first_page", "/notifications/", 50.0),
        ("inbox_unread_page", "/notifications/?show=unread", 50.0),
        ("inbox_older_page", f"/notifications/?before={cursor}", 50.0),
    ]
    failed = 0
    for name, path, budget in checks:
        assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        p50, p95 = _pcts([_server_ms(client.get(path)) for _ in range(runs)])
        failed += p95 > budget
        print(
            f"RESULT name={name} server_p50_ms={p50:.2f} server_p95_ms={p95:.2f} "
            f"budget_ms={budget:.0f} queries={len(queries)}",
            flush=True,
        )
    # The count alone (what the bell costs the database): one COUNT on the partial index.
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        selectors.unread_count(mel.pk)
        samples.append((time.perf_counter() - start) * 1000)
    p50, p95 = _pcts(samples)
    print(f"RESULT name=unread_count_query p50_ms={p50:.3f} p95_ms={p95:.3f}", flush=True)

    OutboxEmail.objects.all().delete()
    notes = [
        services.notify(
            recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary=f"Mail {i}"
        )
        for i in range(EMAILS)
    ]
    assert len(notes) == EMAILS and OutboxEmail.objects.filter(status="queued").count() == EMAILS
    start = time.perf_counter()
    while outbox.send_pending("bench")[0]:
        pass
    elapsed = time.perf_counter() - start
    sent = OutboxEmail.objects.filter(status="sent").count()
    files = len(list(Path(os.environ["EMAIL_FILE_PATH"]).iterdir()))
    failed += elapsed > 10 or sent != EMAILS
    print(
        f"RESULT name=send_1000_emails_file_backend total_s={elapsed:.2f} budget_s=10 "
        f"sent={sent} files={files}",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
