"""Mentions in comments: ``@First Last`` or ``@email`` of a member of the comment's organisation.

Only members are ever found: a name or address of anyone else stays plain text, is not stored
and is not notified, and the answer is the same whether such a person exists or not.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.models import User
from twofold.projects.markup import render_markdown

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


def directory_of(users: list[User]) -> Directory:
    people: dict[str, User] = {}
    for user in users:
        people[user.email.lower()] = user
        if user.full_name.strip():
            people[user.full_name.strip().lower()] = user
    return Directory(people)


def directory(organisation_id: int) -> Directory:
    """Every member of the organisation (one query)."""
    return directory_of(list(User.objects.filter(memberships__organisation_id=organisation_id)))


def mentioned(text: str, people: Directory) -> list[User]:
    """The members ``text`` mentions, each once, in order of first mention."""
    found: dict[int, User] = {}
    for match in MENTION.finditer(text):
        hit = people.find(match.group(1))
        if hit is not None:
            found.setdefault(hit[0].pk, hit[0])
    return list(found.values())


_MARK = "m" + secrets.token_hex(12)


def render_body(text: str, people: list[User]) -> SafeString:
    """Markdown, sanitised like descriptions (allow-listed tags, no attributes but links), with
    the mentions of ``people`` (the comment's stored mentions) as links to the people page."""
    if people:
        known = directory_of(people)
        url = reverse("accounts:people")

        def link(match: re.Match[str]) -> str:
            hit = known.find(match.group(1))
            if hit is None:
                return match.group(0)
            user, named = hit
            return (
                f'<a class="{_MARK}" href="{url}#person-{user.pk}" title="{escape(user.email)}">'
                f"@{escape(user.display_name)}</a>{match.group(1)[len(named) :]}"
            )

        text = MENTION.sub(link, text)
    # Only the links made here become mention chips: they carry a class nobody can type (a
    # secret of this process), renamed once sanitised; a comment's own
    # <a class="mention" href="//elsewhere"> loses its class (it looked like a mention).
    html = render_markdown(text, classes={"a": {_MARK}}).replace(
        f'class="{_MARK}"', 'class="mention"'
    )
    return mark_safe(html)  # noqa: S308 - sanitised by render_markdown
