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

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; demo not loaded.")
                return
            if Organisation.objects.filter(slug="halvorsen").exists():
                self.stderr.write("The demo organisation is already loaded.")
                return
        summary = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo loaded: {summary}"))
