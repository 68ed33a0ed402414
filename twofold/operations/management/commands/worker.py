"""``twofold worker``: background jobs within a second, routine occurrences every few minutes.

Stopping: on SIGTERM or SIGINT (systemd, a container runtime, ``twofold serve`` stopping, Ctrl+C)
the worker takes no new work and lets a running job go on for :data:`GRACE_S` less
:data:`WIND_DOWN_S`; then the job's progress callback answers False and a job that stops is given
back (queued again when its kind is safe to repeat, else failed with a message saying the worker
was stopped). A job that does not stop by :data:`GRACE_S` (a handler that does not report) is
given back from a watcher thread, which then ends the process; its transaction, if any, is rolled
back by the database. Either way e-mails and webhook deliveries the worker claimed and did not
send are queued again at once, and the process exits with status 0. A second SIGINT (Ctrl+C
twice) skips the wait. The signal is noticed through ``signal.set_wakeup_fd`` by that thread, so a
long computation in compiled code does not delay it.

A pass that fails (the database unavailable, or a bug in one of its steps) is logged and tried
again after a short back-off; it never ends the worker.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, close_old_connections, connection, connections

from twofold.core.jobs import Shutdown, give_back, run_pending, worker_name
from twofold.core.trash import purge_due
from twofold.engine.levelling_kernel import warm_up
from twofold.interchange.webhooks.delivery import send_due as send_webhooks
from twofold.interchange.webhooks.models import DeliveryStatus, WebhookDelivery
from twofold.notifications.models import OutboxEmail, OutboxStatus
from twofold.notifications.worker import Passes
from twofold.operations.services import GENERATE_DAYS, backfill_rollups, generate_occurrences

logger = logging.getLogger(__name__)

MAX_DAYS = 3650
"""The furthest ahead occurrences are generated (``--days 99999999`` overflowed the date)."""

GRACE_S = 8.0
"""After SIGTERM/SIGINT, the most a running job delays the exit (``twofold serve`` waits 10 s)."""

WIND_DOWN_S = 2.0
"""Of the grace, the time a job asked to stop has to stop and be given back."""

BACKOFF_S = (5.0, 10.0, 20.0, 40.0, 60.0)
"""Waits after 1, 2, 3 ... failed passes in a row (the last one repeats)."""


def release_claims(worker: str) -> tuple[int, int]:
    """Queue again the e-mails and webhook deliveries ``worker`` claimed and has not sent (it
    is stopping mid-batch), for the next worker at once instead of after their stale-claim
    delay; returns (e-mails, deliveries). One being sent at that very moment may be sent twice
    (at least once, as after a crash)."""
    mails = OutboxEmail.objects.filter(status=OutboxStatus.SENDING, worker=worker).update(
        status=OutboxStatus.QUEUED
    )
    deliveries = WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, worker=worker
    ).update(status=DeliveryStatus.QUEUED)
    return mails, deliveries


def _short_lock_waits() -> None:
    """This thread's connection waits at most a second for a lock (the job's own transaction
    may hold one): the process must end before ``twofold serve`` kills it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 1000")
        elif connection.vendor == "postgresql":
            cursor.execute("SET lock_timeout = '1s'")


class Stopper:
    """The SIGTERM/SIGINT handling of one worker process (see the module docstring)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(
        self,
        name: str,
        shutdown: Shutdown,
        log: Callable[[str], None],
        grace: float | None = None,
    ) -> None:
        self.name, self.shutdown, self.log = name, shutdown, log
        self.grace = GRACE_S if grace is None else grace
        self.done = threading.Event()  # the main loop ended on its own
        self.lock = threading.Lock()
        self.previous: dict[int, Any] = {}
        self.previous_fd: int | None = None
        self.pipe: tuple[int, int] | None = None

    def install(self) -> bool:
        """Take over SIGTERM and SIGINT (only possible in the main thread); True if done."""
        if threading.current_thread() is not threading.main_thread():
            return False
        read, write = os.pipe()
        os.set_blocking(write, False)
        try:
            self.previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        except ValueError:
            os.close(read)
            os.close(write)
            return False
        self.pipe = (read, write)
        for number in self.SIGNALS:
            self.previous[number] = signal.signal(number, self._noticed)
        threading.Thread(target=self._watch, name="worker-signals", daemon=True).start()
        return True

    def uninstall(self) -> None:
        self.done.set()
        if self.pipe is None:
            return
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self.previous_fd if self.previous_fd is not None else -1)
        with contextlib.suppress(OSError):
            os.write(self.pipe[1], b"\0")  # wakes the watcher, which closes the pipe
        self.pipe = None

    def _noticed(self, signum: int, frame: Any) -> None:
        # The watcher thread acts on the byte set_wakeup_fd wrote; nothing to do here (a handler
        # must be set, or SIGTERM would end the process and SIGINT raise KeyboardInterrupt).
        return None

    def _watch(self) -> None:
        assert self.pipe is not None
        read, write = self.pipe
        try:
            while True:
                data = os.read(read, 64)
                if not data or 0 in data:
                    return
                for number in data:
                    if number in self.SIGNALS:
                        self.stop(signal.Signals(number))
        finally:
            os.close(read)
            os.close(write)

    def stop(self, which: signal.Signals) -> None:
        """Begin an orderly stop; a second SIGINT gives back the running job and exits now."""
        with self.lock:
            first = self.shutdown.request(job_seconds=max(0.0, self.grace - WIND_DOWN_S))
        if first:
            self.log(
                f"worker: {which.name}: stopping (no new work; a running job has "
                f"{self.grace:g} s to finish)"
            )
            threading.Thread(target=self._deadline, name="worker-deadline", daemon=True).start()
        elif which == signal.SIGINT:
            self._hard_stop("asked twice")

    def _deadline(self) -> None:
        if not self.done.wait(self.grace):
            self._hard_stop(f"still busy after {self.grace:g} s")

    def _hard_stop(self, why: str) -> None:
        if self.done.is_set():
            return
        try:
            _short_lock_waits()
            jobs = give_back(self.name)
            mails, deliveries = release_claims(self.name)
            self.log(
                f"worker: {why}: {jobs} job(s) given back, {mails} e-mail(s) and {deliveries} "
                "webhook deliveries queued again; exiting"
            )
        except Exception:
            logger.exception("worker: giving back its work at the stop failed")
        finally:
            with contextlib.suppress(Exception):
                connections.close_all()
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            if not self.done.is_set():
                os._exit(0)


def _bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: ``kind`` within [low, high], else a usage error naming the bounds (a
    negative ``--poll`` crashed the loop after its first pass)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low:g} and {high:g}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Run queued background jobs (levelling, large simulations) and generate routine "
        "occurrences ahead, and delete trash past its retention for good (idempotent; safe to run "
        "several at once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")
        parser.add_argument(
            "--days",
            type=_bounded(int, 0, MAX_DAYS),
            default=GENERATE_DAYS,
            help=f"Days ahead (0 to {MAX_DAYS}).",
        )
        parser.add_argument(
            "--interval",
            type=_bounded(int, 1, 86_400),
            default=300,
            help="Seconds between occurrence passes (1 to 86400).",
        )
        parser.add_argument(
            "--poll",
            type=_bounded(float, 0.05, 3_600),
            default=1.0,
            help="Seconds between looks for queued jobs (0.05 to 3600).",
        )

    def handle(
        self, *args: Any, once: bool, days: int, interval: int, poll: float, **options: Any
    ) -> None:
        name = worker_name()
        shutdown = Shutdown()
        stopper = Stopper(name, shutdown, self._say)
        stopper.install()
        try:
            warm_up()  # load the compiled levelling kernel now, not in the first levelling job
            self._loop(name, shutdown, once=once, days=days, interval=interval, poll=poll)
        finally:
            stopper.uninstall()
        if shutdown.requested:
            mails, deliveries = release_claims(name)
            if mails or deliveries:
                self._say(
                    f"worker: {mails} e-mail(s) and {deliveries} webhook deliveries queued again"
                )
            self._say("worker: stopped")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _loop(
        self, name: str, shutdown: Shutdown, *, once: bool, days: int, interval: int, poll: float
    ) -> None:
        next_occurrences = -math.inf  # the first pass runs at once, whatever the uptime
        notifications = Passes(name, self.stdout.write)  # outbox, SLA/due scans, digests
        failures = 0
        while not shutdown.requested:
            wait = poll
            try:
                if time.monotonic() >= next_occurrences:
                    count = generate_occurrences(days=days)
                    backfill_rollups()
                    purged = purge_due()
                    if purged:
                        self.stdout.write(
                            f"worker: {purged} trash entr{'ies' if purged != 1 else 'y'} purged"
                        )
                    self.stdout.write(f"worker: {count} due occurrences checked, {days} days ahead")
                    next_occurrences = time.monotonic() + interval
                ran = run_pending(name, shutdown=shutdown)
                if ran:
                    self.stdout.write(f"worker: {ran} background job{'s' if ran != 1 else ''} run")
                if not shutdown.requested:
                    notifications.tick()
                if not shutdown.requested:
                    delivered, failed = send_webhooks(name)
                    if delivered or failed:
                        self.stdout.write(
                            f"worker: {delivered} webhooks delivered, {failed} failed"
                        )
                failures = 0
            except OperationalError as exc:
                # A database that is briefly unavailable or locked must not end the worker:
                # say so and try again at the next poll.
                if once:
                    raise
                self.stderr.write(f"worker: database unavailable ({exc}); retrying")
            except Exception as exc:
                # A bug in one step (a scan, a routine, a delivery) must not end the worker
                # either: logged with its traceback, and the pass tried again after a pause.
                if once:
                    raise
                failures += 1
                wait = max(poll, BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
                logger.exception("worker: a pass failed")
                self.stderr.write(
                    f"worker: a pass failed ({type(exc).__name__}: {exc}); "
                    f"trying again in {wait:g} s"
                )
            if once:
                return
            # A long-lived process: drop connections the database may have closed meanwhile.
            close_old_connections()
            shutdown.event.wait(wait)
