"""Mentions in comments: ``@First Last`` or ``@email`` of a member of the organisation.

``render`` escapes the whole text first and only then turns known mentions into links, so a
comment's HTML stays inert. ``directory`` loads the organisation's members once per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.models import Organisation, User
from twofold.projects.models import Comment

# An e-mail address, or up to three capitalised words ("Priya Raman", "Anne-Marie de Vries").
MENTION = re.compile(
    r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*){0,2})"
)


@dataclass(frozen=True)
class Directory:
    """Members by lower-cased full name and e-mail."""

    people: dict[str, User]

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
    people: dict[str, User] = {}
    for user in User.objects.filter(memberships__organisation_id=organisation_id):
        people[user.email.lower()] = user
        if user.full_name.strip():
            people[user.full_name.strip().lower()] = user
    return Directory(people)


def render(text: str, people: Directory | None) -> SafeString:
    """Escaped ``text`` with members' mentions as links to the people page."""
    escaped = str(escape(text))
    if not people or not people.people:
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


def comments_mentioning(user: User, organisation: Organisation, limit: int = 100) -> list[Comment]:
    """Comments in the organisation that mention ``user``, newest first."""
    query = Q(body__icontains=f"@{user.email}")
    if user.full_name.strip():
        query |= Q(body__icontains=f"@{user.full_name.strip()}")
    rows = (
        Comment.objects.filter(query, organisation_id=organisation.pk)
        .select_related("author", "task", "task__project")
        .order_by("-created_at", "-id")[: limit * 2]
    )
    return [c for c in rows if mentions_user(c.body, user)][:limit]
