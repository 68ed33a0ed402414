"""Background jobs: the registry of kinds and the runner that ``twofold worker`` calls.

A page or API endpoint enqueues a :class:`~twofold.core.models.Job` through
``core.services.enqueue_job``; a worker claims it, runs the registered handler and stores the
result. Claiming is one conditional UPDATE (``status=queued`` → ``running``) whose row count
says who won, so any number of workers may poll the same database (SQLite or PostgreSQL)
without taking a job twice.

A handler is ``run(job, progress) -> result`` (JSON-ready). It calls ``progress(fraction,
message)`` as often as it likes; the reporter writes at most :data:`REPORT_EVERY_S` apart and
answers False once someone asked to cancel, and the handler then stops and returns what it
has, marked ``{"stopped_early": true, ...}`` (or None): the job ends "cancelled", keeping that
result. A handler that finished anyway returns its whole result and the job "succeeded". A
``ServiceError`` fails the job with its message. The handler runs outside any transaction: each progress write commits at once, so
pages see it and a cancel request gets through. A handler that reports from inside a
transaction of its own (an import saved all together) is reported on PostgreSQL through a
connection of its own (see :meth:`Reporter._aside`), so the progress shows and the job's row is
not held locked until the commit; on SQLite, one writer at a time, the write joins the
transaction as before.

Apps register their kinds in ``AppConfig.ready`` (``register(JobKind(...))``).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connection, connections
from django.utils import timezone

from twofold.core.errors import ServiceError
from twofold.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 0.3
"""Least time between two progress writes of one job (a few per second at most)."""

STALE_AFTER = timedelta(seconds=120)
"""A running job whose heartbeat is older than this lost its worker; the next pass fails it."""

WAIT_HINT_AFTER_S = 5.0
"""After this long in the queue a page says that no worker seems to be running."""

STALE_MESSAGE = (
    "The background worker running this job stopped (no sign of life for over {minutes} "
    "minutes). Start it again."
)

Progress = Callable[..., bool]
"""``progress(fraction: float, message: str = "") -> bool``: False means stop."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name, a label for people, its handler and the page that shows it."""

    name: str
    label: str
    run: Callable[[Job, Progress], Any]
    page_url: Callable[[Job], str]


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make ``kind`` runnable (apps call this from ``AppConfig.ready``)."""
    _KINDS[kind.name] = kind


def kind_of(name: str) -> JobKind | None:
    return _KINDS.get(name)


def worker_name() -> str:
    """This process, as stored in ``Job.worker``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class Reporter:
    """The ``progress`` callback of one running job (see the module docstring)."""

    def __init__(self, job: Job, *, every: float | None = None) -> None:
        self.job_id = job.pk
        self.every = REPORT_EVERY_S if every is None else every
        # -inf, not 0.0: time.monotonic() counts from boot, so on a machine up for less than
        # ``every`` seconds a zero start would drop the first report.
        self.last = -math.inf
        self.cancelled = False

    def __call__(self, fraction: float, message: str = "") -> bool:
        if self.cancelled:
            return False
        now = time.monotonic()
        if now - self.last < self.every:
            return True
        self.last = now
        values = {
            "progress": min(1.0, max(0.0, float(fraction))),
            "message": message[:200],
            "heartbeat": timezone.now(),
        }
        if connection.vendor == "postgresql" and _in_own_transaction():
            return self._aside(values, now)
        # One statement both writes and asks: no row matches once a cancel was requested.
        try:
            live = Job.objects.filter(pk=self.job_id, cancel_requested=False).update(**values)
            if not live:
                Job.objects.filter(pk=self.job_id).update(**values)
                self.cancelled = True
        except OperationalError:
            # Progress is best effort: a database briefly locked by a reader (SQLite) must not
            # fail the computation; the next report tries again (and sees a cancel then).
            logger.warning("job %s: progress not recorded (database busy)", self.job_id)
            self.last = now - self.every  # retry at the next call
        return not self.cancelled

    def _aside(self, values: dict[str, Any], now: float) -> bool:
        """Report from inside the handler's own transaction (PostgreSQL): the progress written
        through a connection of its own, committed at once, so pages see it (they read 5 %
        while an import was at 50 %) and the job's row is not locked until the import commits
        (a Cancel request waited for the whole import, and so did every other worker's pass);
        the cancel read in the transaction, which sees what others committed. A lock wait on
        that connection gives up after a second: progress is best effort."""
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                table = side.ops.quote_name(Job._meta.db_table)
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, message = %s, heartbeat = %s "  # noqa: S608
                    "WHERE id = %s AND NOT cancel_requested",
                    [values["progress"], values["message"], values["heartbeat"], self.job_id],
                )
        except DatabaseError:
            logger.warning("job %s: progress not recorded (database busy)", self.job_id)
            self.last = now - self.every
        finally:
            side.close()
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            self.cancelled = True
        return not self.cancelled


def _in_own_transaction() -> bool:
    """Whether the handler runs inside a transaction it opened (not a test case's wrapper, whose
    rows another connection cannot see: there the write joins it, as before)."""
    blocks = connection.atomic_blocks
    return bool(blocks) and not any(getattr(b, "_from_testcase", False) for b in blocks)


def try_claim(job_id: int, worker: str) -> bool:
    """Take job ``job_id`` if it is still queued; True for exactly one of concurrent callers.

    One conditional UPDATE: the database applies it to a row only while it still matches
    ``status=queued``, so a second worker's UPDATE finds no row (PostgreSQL re-checks the
    condition after the first commits; SQLite runs writers one at a time).
    """
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, worker=worker, started_at=now, heartbeat=now
        )
    )


def claim_next(worker: str) -> Job | None:
    """Take the oldest queued job for ``worker``, or None; exclusive even with many workers."""
    candidates = list(
        Job.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:10]
    )
    for pk in candidates:
        if try_claim(pk, worker):
            return Job.objects.select_related("owner").get(pk=pk)
    return None


def _finish(job: Job, worker: str, **values: Any) -> None:
    # Only the worker that holds the job may end it (a stale job may have been failed meanwhile).
    # A database briefly locked by a reader (SQLite) gets a few more tries.
    for attempt in range(5):
        try:
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker=worker).update(
                finished_at=timezone.now(), heartbeat=timezone.now(), **values
            )
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))


def run_job(job: Job, worker: str) -> None:
    """Run a claimed job to its end and store the outcome."""
    kind = kind_of(job.kind)
    if kind is None:
        _finish(
            job,
            worker,
            status=JobStatus.FAILED,
            error=f"This worker does not know jobs of kind {job.kind!r}: upgrade it.",
        )
        return
    reporter = Reporter(job)
    beat = _Heartbeat(job.pk, worker)
    try:
        result = kind.run(job, reporter)
    except ServiceError as exc:
        _finish(job, worker, status=JobStatus.FAILED, error=exc.message)
        return
    except Exception as exc:  # a bug must fail the job, never kill the worker
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            worker,
            status=JobStatus.FAILED,
            error=f"The job failed unexpectedly ({type(exc).__name__}); the error is logged.",
        )
        return
    finally:
        beat.stop()
    asked = reporter.cancelled or Job.objects.filter(pk=job.pk, cancel_requested=True).exists()
    if asked and stopped_early(result):
        # The progress stays where the run stopped, which is what the page reports.
        _finish(job, worker, status=JobStatus.CANCELLED, result=result, message="Cancelled")
    else:
        # A cancel that came too late to stop anything: the work is done, and so is the job.
        _finish(job, worker, status=JobStatus.SUCCEEDED, result=result, progress=1.0, message="")


HEARTBEAT_EVERY_S = 20.0
"""How often a running job's worker says it is alive, whether its handler reports or not."""


class _Heartbeat:
    """A thread that keeps a running job's heartbeat fresh on a connection of its own.

    Only progress reports moved the heartbeat, so a handler quiet for over two minutes (a long
    stretch of an import between two reports) was failed by another worker's pass while it
    still ran, and could then be started again beside it. The thread writes only while the
    job is still this worker's and running; a busy database (SQLite while the handler holds
    the write lock) skips a beat.
    """

    def __init__(self, job_id: int, worker: str) -> None:
        self.job_id, self.worker = job_id, worker
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat")
        self.thread.daemon = True
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.done.wait(HEARTBEAT_EVERY_S):
                try:
                    Job.objects.filter(
                        pk=self.job_id, status=JobStatus.RUNNING, worker=self.worker
                    ).update(heartbeat=timezone.now())
                except DatabaseError:
                    logger.warning("job %s: heartbeat not recorded (database busy)", self.job_id)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        # Not waited for long: a beat stuck behind SQLite's write lock (the handler's own
        # transaction) would hold the job's end for the busy timeout. A late beat writes
        # nothing: the job is no longer running.
        self.done.set()
        self.thread.join(timeout=1)


def stopped_early(result: Any) -> bool:
    """Whether a handler's result says it stopped before the end (no result counts as such)."""
    return result is None or (isinstance(result, dict) and bool(result.get("stopped_early")))


def fail_stale(now: Any = None) -> int:
    """Fail running jobs whose worker stopped sending heartbeats; returns how many."""
    now = now or timezone.now()
    minutes = int(STALE_AFTER.total_seconds() // 60)
    return Job.objects.filter(status=JobStatus.RUNNING, heartbeat__lt=now - STALE_AFTER).update(
        status=JobStatus.FAILED,
        finished_at=now,
        error=STALE_MESSAGE.format(minutes=minutes),
    )


def run_pending(worker: str | None = None, *, limit: int | None = None) -> int:
    """Fail stale jobs, then run queued ones until none is left (or ``limit``); returns the count."""
    worker = worker or worker_name()
    fail_stale()
    done = 0
    while limit is None or done < limit:
        job = claim_next(worker)
        if job is None:
            break
        run_job(job, worker)
        done += 1
    return done
