"""Mentions in comments: ``@First Last`` or ``@email`` of a member of the organisation.

``render`` escapes the whole text first and only then turns known mentions into links, so a
comment's HTML stays inert. ``directory`` loads the organisation's members once per page.
"""

from __future__ import annotations

import re
from functools import cached_property

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.models import Organisation, User
from twofold.comments.mentions import MENTION
from twofold.comments.selectors import Located, mentioning


class Directory:
    """Members by lower-cased full name and e-mail, read on first use (a page whose comments
    mention nobody reads no members)."""

    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id

    @cached_property
    def people(self) -> dict[str, User]:
        people: dict[str, User] = {}
        for user in User.objects.filter(memberships__organisation_id=self.organisation_id):
            people[user.email.lower()] = user
            if user.full_name.strip():
                people[user.full_name.strip().lower()] = user
        return people

    def find(self, text: str) -> tuple[User, str] | None:
        """The member a mention names and the part of ``text`` that names them (longest first)."""
        words = text.split(" ")
        for n in range(len(words), 0, -1):
            candidate = " ".join(words[:n])
            user = self.people.get(candidate.lower().rstrip(".,;:!?"))
            if user is not None:
                return user, candidate.rstrip(".,;:!?")
        return None


def directory(organisation_id: int) -> Directory:
    return Directory(organisation_id)


def render(text: str, people: Directory | None) -> SafeString:
    """Escaped ``text`` with members' mentions as links to the people page."""
    escaped = str(escape(text))
    if "@" not in text or not people or not people.people:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    url = reverse("accounts:people")

    def link(match: re.Match[str]) -> str:
        found = people.find(match.group(1).replace("&#x27;", "'"))
        if found is None:
            return match.group(0)
        user, named = found
        named_escaped = str(escape(named))
        rest = match.group(1)[len(named_escaped) :]
        return (
            f'<a class="mention" href="{url}#person-{user.pk}" '
            f'title="{escape(user.email)}">@{escape(user.display_name)}</a>{rest}'
        )

    return mark_safe(MENTION.sub(link, escaped))  # noqa: S308 - text escaped before linking


def mentions_user(text: str, user: User) -> bool:
    names = {user.email.lower()} | ({user.full_name.strip().lower()} if user.full_name else set())
    for match in MENTION.finditer(text):
        words = match.group(1).lower().split(" ")
        for n in range(len(words), 0, -1):
            if " ".join(words[:n]).rstrip(".,;:!?") in names:
                return True
    return False


def comments_mentioning(user: User, organisation: Organisation, limit: int = 100) -> list[Located]:
    """Comments in the organisation that mention ``user``, newest first (stored mentions)."""
    return mentioning(user, organisation, limit)
