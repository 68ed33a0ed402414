"""``twofold createorg NAME --owner EMAIL``: an organisation with an existing person as owner."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts import services
from twofold.accounts.models import User
from twofold.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create an organisation owned by an existing person (see createuser)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="e-mail of an existing person")
        parser.add_argument("--timezone", default=None, help="e.g. Europe/Berlin")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = User.objects.filter(email=options["owner"].strip().lower()).first()
        if owner is None:
            raise CommandError(
                f"No person with e-mail {options['owner']}: create them with createuser first."
            )
        try:
            org = services.create_organisation(
                actor=owner, name=options["name"], timezone=options["timezone"]
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
        self.stdout.write(
            f"Created {org.name} (slug {org.slug}, id {org.pk}), owner {owner.email}."
        )
