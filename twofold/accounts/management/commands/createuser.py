"""``twofold createuser EMAIL``: an account, with a password typed at a prompt or read from stdin."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from twofold.accounts import services
from twofold.accounts.models import User
from twofold.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create a person who can sign in (operators; no sign-up setting needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument(
            "--password-from-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )
        parser.add_argument(
            "--admin", action="store_true", help="an instance administrator (superuser)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_from_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The passwords do not match.")
        try:
            with transaction.atomic():
                email = services.check_new_person(options["email"], password, options["name"])
                create = (
                    User.objects.create_superuser if options["admin"] else User.objects.create_user
                )
                user = create(email=email, password=password, full_name=options["name"].strip())
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
        self.stdout.write(f"Created {user.email} (id {user.pk}).")
