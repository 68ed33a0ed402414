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

A run can be cut off: its worker died (no heartbeat for :data:`STALE_AFTER`; the next pass of
any worker sees it) or was stopped (``twofold worker`` on SIGTERM gives its job a few seconds,
then the progress callback answers False and the run is given back). A kind whose
``repeatable`` says it is safe to run again from the start is then queued again, up to
:data:`MAX_ATTEMPTS` runs in all for dead workers (a run given back at an orderly stop does not
count); any other is failed with a message. A kind's ``on_abandoned`` hook runs in the same
transaction whenever a job of it ends without its handler finishing: cancelled (queued or
running), failed (an error, a dead or stopped worker, too many attempts). An app uses it to undo
a "busy" state it set when queueing (an upload "importing").
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

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import F, Value
from django.db.models.functions import Greatest
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

MAX_ATTEMPTS = 3
"""Runs of a repeatable job before a dead worker fails it instead of queueing it again."""

GAVE_UP_MESSAGE = (
    "The background worker running this job stopped {attempts} times (no sign of life for over "
    "{minutes} minutes each time), so it is not queued again by itself. The worker's log may "
    "say why; start it again once the worker runs steadily."
)

STOPPED_MESSAGE = (
    "The background worker was stopped (a restart or a shutdown) before this job finished. "
    "Start it again."
)

REQUEUED_MESSAGE = "Queued again: its worker stopped before the end"
"""The job's ``message`` while it waits for its next run (the page shows it)."""

Progress = Callable[..., bool]
"""``progress(fraction: float, message: str = "") -> bool``: False means stop."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name, a label for people, its handler and the page that shows it.

    ``repeatable``: whether a run cut off before its end (a dead or stopped worker) may simply
    run again from the start: True for work that changes nothing or writes the same again (a
    preview, an export, a reschedule), a callable for work that is safe to repeat only while
    its own write has not committed (asked at the moment, in the transaction that queues the
    job again). ``on_abandoned(job)``: called in the transaction that ends a job of this kind
    without its handler finishing (see the module docstring); it must be idempotent.
    """

    name: str
    label: str
    run: Callable[[Job, Progress], Any]
    page_url: Callable[[Job], str]
    repeatable: bool | Callable[[Job], bool] = False
    on_abandoned: Callable[[Job], None] | None = None


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make ``kind`` runnable (apps call this from ``AppConfig.ready``)."""
    _KINDS[kind.name] = kind


def kind_of(name: str) -> JobKind | None:
    return _KINDS.get(name)


def abandoned(job: Job) -> None:
    """Run the ``on_abandoned`` hook of ``job``'s kind (in the caller's transaction): the job
    just ended without its handler finishing."""
    kind = kind_of(job.kind)
    if kind is not None and kind.on_abandoned is not None:
        kind.on_abandoned(job)


def can_repeat(kind: JobKind, job: Job) -> bool:
    """Whether a cut-off run of ``job`` may run again from the start (see ``JobKind``)."""
    if callable(kind.repeatable):
        try:
            return bool(kind.repeatable(job))
        except Exception:  # a bug in the check: be safe and do not run it twice
            logger.exception("job %s (%s): the repeat check failed", job.pk, job.kind)
            return False
    return bool(kind.repeatable)


class Shutdown:
    """A worker's request to stop (``twofold worker`` sets it on SIGTERM or SIGINT).

    From :meth:`request` on the worker claims no new job; from ``jobs_stop_at`` on the progress
    callback of its running job answers False, and the run, if it stops, is given back (queued
    again when its kind is repeatable, else failed with :data:`STOPPED_MESSAGE`).
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.jobs_stop_at = math.inf

    def request(self, *, job_seconds: float) -> bool:
        """Ask to stop, letting a running job go on for ``job_seconds``; False if asked already."""
        if self.event.is_set():
            return False
        self.jobs_stop_at = time.monotonic() + max(0.0, job_seconds)
        self.event.set()
        return True

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def jobs_must_stop(self) -> bool:
        return self.event.is_set() and time.monotonic() >= self.jobs_stop_at


def worker_name() -> str:
    """This process, as stored in ``Job.worker``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class Reporter:
    """The ``progress`` callback of one running job (see the module docstring)."""

    def __init__(
        self, job: Job, *, every: float | None = None, shutdown: Shutdown | None = None
    ) -> None:
        self.job_id = job.pk
        self.every = REPORT_EVERY_S if every is None else every
        # -inf, not 0.0: time.monotonic() counts from boot, so on a machine up for less than
        # ``every`` seconds a zero start would drop the first report.
        self.last = -math.inf
        self.cancelled = False
        self.shutdown = shutdown
        self.interrupted = False
        """The worker is stopping and asked the handler to stop (not a person's cancel)."""

    def __call__(self, fraction: float, message: str = "") -> bool:
        if self.cancelled or self.interrupted:
            return False
        if self.shutdown is not None and self.shutdown.jobs_must_stop():
            self.interrupted = True
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
            status=JobStatus.RUNNING,
            worker=worker,
            started_at=now,
            heartbeat=now,
            attempts=F("attempts") + 1,
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


def _retrying(write: Callable[[], Any]) -> Any:
    # A database briefly locked by a reader (SQLite) gets a few more tries.
    for attempt in range(5):
        try:
            return write()
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))
    return None  # pragma: no cover (the loop returns or raises)


def _finish(job: Job, worker: str, **values: Any) -> None:
    # Only the worker that holds the job may end it (a stale job may have been failed meanwhile).
    # Any end but success runs the kind's on_abandoned hook in the same transaction.
    def write() -> None:
        with transaction.atomic():
            ended = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker=worker).update(
                finished_at=timezone.now(), heartbeat=timezone.now(), **values
            )
            if ended and values.get("status") != JobStatus.SUCCEEDED:
                abandoned(job)

    _retrying(write)


def _cut_off(pk: int, match: dict[str, Any], *, error: str, dead: bool, now: Any) -> str | None:
    """End or repeat a run of job ``pk`` that was cut off; what became of it, or None when the
    job no longer matches ``match`` (another worker dealt with it, or it ended meanwhile).

    In one transaction: a job someone asked to cancel is cancelled; one of a repeatable kind
    is queued again (a ``dead`` worker's run counts towards :data:`MAX_ATTEMPTS`, a stopped
    worker's does not); any other is failed with ``error``. Each write is conditional on
    ``match`` (as the claim is on "queued"), so of several workers at once one decides.
    """
    with transaction.atomic():
        job = Job.objects.filter(pk=pk, **match).first()
        if job is None:
            return None
        kind = kind_of(job.kind)
        values: dict[str, Any] = {"status": JobStatus.FAILED, "finished_at": now, "error": error}
        if job.cancel_requested:
            values = {"status": JobStatus.CANCELLED, "message": "Cancelled", "finished_at": now}
        elif kind is not None and can_repeat(kind, job):
            if not dead or job.attempts < MAX_ATTEMPTS:
                values = {
                    "status": JobStatus.QUEUED,
                    "progress": 0.0,
                    "message": REQUEUED_MESSAGE,
                    "result": None,
                    "worker": "",
                    "started_at": None,
                    "heartbeat": None,
                }
                if not dead:  # given back at an orderly stop: not an attempt
                    values["attempts"] = Greatest(F("attempts") - 1, Value(0))
            else:
                minutes = int(STALE_AFTER.total_seconds() // 60)
                values["error"] = GAVE_UP_MESSAGE.format(attempts=job.attempts, minutes=minutes)
        if not Job.objects.filter(pk=pk, **match).update(**values):
            return None
        outcome = str(values["status"])
        logger.warning(
            "job %s (%s, run %s of at most %s): its worker %s %s; %s",
            pk,
            job.kind,
            job.attempts,
            MAX_ATTEMPTS,
            job.worker,
            "died" if dead else "was stopped",
            "queued again" if outcome == JobStatus.QUEUED else outcome,
        )
        if outcome != JobStatus.QUEUED:
            abandoned(job)
        return outcome


def give_back(worker: str) -> int:
    """Give back the jobs ``worker`` is running (it is stopping and they did not end in time):
    queued again when repeatable, else failed with :data:`STOPPED_MESSAGE`; returns how many."""
    match = {"status": JobStatus.RUNNING, "worker": worker}
    running = Job.objects.filter(**match).order_by("pk").values_list("pk", flat=True)
    now = timezone.now()
    return sum(
        1 for pk in list(running) if _cut_off(pk, match, error=STOPPED_MESSAGE, dead=False, now=now)
    )


def run_job(job: Job, worker: str, *, shutdown: Shutdown | None = None) -> None:
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
    reporter = Reporter(job, shutdown=shutdown)
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
    elif reporter.interrupted and stopped_early(result):
        # The worker is stopping: the run is given back (queued again or failed).
        match = {"status": JobStatus.RUNNING, "worker": worker}
        now = timezone.now()
        _retrying(lambda: _cut_off(job.pk, match, error=STOPPED_MESSAGE, dead=False, now=now))
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
    """Deal with running jobs whose worker stopped sending heartbeats (see :func:`_cut_off`:
    queued again when repeatable and under :data:`MAX_ATTEMPTS`, cancelled when a cancel was
    asked, else failed with :data:`STALE_MESSAGE`); returns how many."""
    now = now or timezone.now()
    minutes = int(STALE_AFTER.total_seconds() // 60)
    match = {"status": JobStatus.RUNNING, "heartbeat__lt": now - STALE_AFTER}
    stale = list(Job.objects.filter(**match).order_by("pk").values_list("pk", flat=True))
    error = STALE_MESSAGE.format(minutes=minutes)
    return sum(1 for pk in stale if _cut_off(pk, match, error=error, dead=True, now=now))


def run_pending(
    worker: str | None = None, *, limit: int | None = None, shutdown: Shutdown | None = None
) -> int:
    """Deal with stale jobs, then run queued ones until none is left (or ``limit``, or the
    worker is asked to stop); returns the count."""
    worker = worker or worker_name()
    fail_stale()
    done = 0
    while limit is None or done < limit:
        if shutdown is not None and shutdown.requested:
            break
        job = claim_next(worker)
        if job is None:
            break
        run_job(job, worker, shutdown=shutdown)
        done += 1
    return done
