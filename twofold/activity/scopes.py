"""What the activity feeds and live pages know about each kind of object: its noun, its page,
the lookups to its project and its process, and which live pages show it.

Commentable kinds come from ``comments.kinds``; the rest are listed here. A kind not listed
never appears in a feed (a person's calendar feeds, say, are their own business).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse

from twofold.comments import kinds as comment_kinds


@dataclass(frozen=True)
class FeedKind:
    slug: str  # the filter value: "task"
    model_label: str  # "projects.Task"
    noun: str  # "task"
    plural: str  # "Tasks" (the filter's label)
    url: Callable[[Any], str]
    project: str | None = None
    process: str | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


def _url(name: str, *attrs: str) -> Callable[[Any], str]:
    def url(obj: Any) -> str:
        return reverse(name, args=[getattr(obj, a) for a in attrs or ("pk",)])

    return url


PLURALS = {
    "project": "Projects",
    "task": "Tasks",
    "risk": "Risks",
    "request": "Requests",
    "kpi": "KPIs",
    "process": "Processes",
    "improvement": "Improvement items",
    "handover": "Handovers",
}

EXTRA = [
    FeedKind(
        "gate", "projects.Gate", "gate", "Gates", _url("projects:gates", "project_id"), "project_id"
    ),
    FeedKind(
        "queue", "operations.Queue", "queue", "Queues", _url("operations:queue"), None, "process_id"
    ),
    FeedKind(
        "routine",
        "operations.Routine",
        "routine",
        "Routines",
        _url("operations:routine"),
        None,
        "process_id",
    ),
]


def feed_kinds() -> list[FeedKind]:
    """Every kind a feed shows, commentable ones first."""
    out = [
        FeedKind(
            k.slug,
            k.model_label,
            k.noun,
            PLURALS.get(k.slug, k.noun.capitalize() + "s"),
            k.url,
            k.project,
            k.process,
        )
        for k in comment_kinds.all_kinds()
    ]
    return out + EXTRA


def by_label() -> dict[str, FeedKind]:
    """Kinds by lower-case model label ("projects.task")."""
    return {k.model_label.lower(): k for k in feed_kinds()}


def by_slug(slug: str) -> FeedKind | None:
    return next((k for k in feed_kinds() if k.slug == slug), None)


# Live pages: which subjects' counters a change to an object of this model raises.
# Each entry: (key prefix, lookup from the object to the subject's id).
LIVE: dict[str, list[tuple[str, str]]] = {
    "projects.project": [("project", "pk")],
    "projects.task": [("project", "project_id")],
    "projects.link": [("project", "project_id")],
    "projects.baseline": [("project", "project_id")],
    "projects.gate": [("project", "project_id")],
    "operations.queue": [("queue", "pk")],
    "operations.request": [("request", "pk"), ("queue", "queue_id")],
}
