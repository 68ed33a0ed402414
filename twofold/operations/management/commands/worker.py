"""``twofold worker``: background jobs within a second, routine occurrences every few minutes."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, close_old_connections

from twofold.core.jobs import run_pending, worker_name
from twofold.core.trash import purge_due
from twofold.engine.levelling_kernel import warm_up
from twofold.interchange.webhooks.delivery import send_due as send_webhooks
from twofold.notifications.worker import Passes
from twofold.operations.services import GENERATE_DAYS, backfill_rollups, generate_occurrences

MAX_DAYS = 3650
"""The furthest ahead occurrences are generated (``--days 99999999`` overflowed the date)."""


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
        warm_up()  # load the compiled levelling kernel now, not in the first levelling job
        next_occurrences = -math.inf  # the first pass runs at once, whatever the uptime
        notifications = Passes(name, self.stdout.write)  # outbox, SLA/due scans, digests
        while True:
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
                ran = run_pending(name)
                notifications.tick()
                delivered, failed = send_webhooks(name)
                if delivered or failed:
                    self.stdout.write(f"worker: {delivered} webhooks delivered, {failed} failed")
                if ran:
                    self.stdout.write(f"worker: {ran} background job{'s' if ran != 1 else ''} run")
            except OperationalError as exc:
                # A database that is briefly unavailable or locked must not end the worker:
                # say so and try again at the next poll.
                if once:
                    raise
                self.stderr.write(f"worker: database unavailable ({exc}); retrying")
            if once:
                return
            # A long-lived process: drop connections the database may have closed meanwhile.
            close_old_connections()
            time.sleep(poll)
