"""``twofold demo``: load the demo organisation (Halvorsen Precision)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from twofold.accounts.models import Organisation
from twofold.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo organisation and its story (people, teams, projects, operations)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any organisation exists."
        )
        parser.add_argument(
            "--scale",
            choices=["normal", "large"],
            default="normal",
            help="large: ~300 projects, 60,000 tasks, 150,000 links, 200 people (for benchmarks)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; demo not loaded.")
                return
            if (
                options["scale"] == "normal"
                and Organisation.objects.filter(slug="halvorsen").exists()
            ):
                self.stderr.write("The demo organisation is already loaded.")
                return
        if options["scale"] == "large":
            from twofold.demo.large import load_large

            summary = load_large()
        else:
            summary = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo loaded: {summary}"))
