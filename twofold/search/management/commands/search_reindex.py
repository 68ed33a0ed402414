"""``twofold search-reindex``: rebuild the search index (all organisations, or one by slug)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.models import Organisation
from twofold.search.index import reindex


class Command(BaseCommand):
    help = "Rebuild the search index from the projects, operations and people in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", metavar="SLUG", help="only this organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation_id = None
        if options["organisation"]:
            org = Organisation.objects.filter(slug=options["organisation"]).first()
            if org is None:
                raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
            organisation_id = org.pk
        started = time.perf_counter()
        count = reindex(organisation_id)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Search index rebuilt: {count} documents in {elapsed:.1f} s")
        )
