"""``twofold worker``: generate routine occurrences ahead and mark missed ones, in a loop."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from twofold.operations.services import GENERATE_DAYS, backfill_rollups, generate_occurrences


class Command(BaseCommand):
    help = "Generate routine occurrences ahead (idempotent; safe to run several at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")
        parser.add_argument("--days", type=int, default=GENERATE_DAYS, help="Days ahead.")
        parser.add_argument("--interval", type=int, default=300, help="Seconds between passes.")

    def handle(self, *args: Any, once: bool, days: int, interval: int, **options: Any) -> None:
        while True:
            count = generate_occurrences(days=days)
            backfill_rollups()
            self.stdout.write(f"worker: {count} due occurrences checked, {days} days ahead")
            if once:
                return
            time.sleep(interval)
