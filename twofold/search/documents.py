"""What each searchable kind puts in the index: its title, body, context line and address.

One ``Source`` per kind reads the rows it needs with a single ``values()`` query (no per-object
queries), so indexing one object and rebuilding a whole organisation share the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse

from twofold.accounts.models import Membership, Role
from twofold.closeout.models import Lesson
from twofold.improvement.models import ImprovementItem, ItemStatus
from twofold.operations.models import Kpi, Process, Request
from twofold.projects.models import Project, Task
from twofold.risks.models import Risk
from twofold.search.models import Kind, SearchDocument

TITLE_CHARS = 300
BODY_CHARS = 20_000
# Highlight markers (see highlight.py) and NUL never reach the index.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: str | None, limit: int) -> str:
    return _UNSAFE.sub(" ", text or "")[:limit]


@dataclass(frozen=True)
class Fields:
    """One object's document, before it becomes a row."""

    title: str
    body: str = ""
    context: str = ""
    scope_id: int | None = None


@dataclass(frozen=True)
class Source:
    """Where one kind's documents come from."""

    kind: Kind
    model: type[models.Model]
    columns: tuple[str, ...]
    make: Callable[[dict[str, Any]], Fields]
    url_name: str
    url_args: tuple[str, ...]  # keys of the row, in the URL's order
    url_suffix: Callable[[dict[str, Any]], str] = lambda row: ""

    def rows(self, queryset: models.QuerySet[Any]) -> Iterator[SearchDocument]:
        """The documents of ``queryset``'s objects (one query, streamed)."""
        for values in self.values(queryset):
            yield SearchDocument(**dict(zip(DOCUMENT_COLUMNS, values, strict=True)))

    def values(self, queryset: models.QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
        """The documents of ``queryset``'s objects as tuples in the order of
        ``DOCUMENT_COLUMNS`` (one query, streamed; no model instance is built)."""
        sentinels = [str(900_000_001 + i) for i in range(len(self.url_args))]
        pattern = reverse(self.url_name, args=sentinels)
        for row in queryset.values("pk", "organisation_id", *self.columns).iterator(2000):
            url = pattern
            for sentinel, key in zip(sentinels, self.url_args, strict=True):
                url = url.replace(sentinel, str(row[key]))
            fields = self.make(row)
            yield (
                row["organisation_id"],
                self.kind,
                row["pk"],
                fields.scope_id,
                clean(fields.title, TITLE_CHARS),
                clean(fields.body, BODY_CHARS),
                clean(fields.context, TITLE_CHARS),
                url + self.url_suffix(row),
            )


DOCUMENT_COLUMNS = (
    "organisation_id",
    "kind",
    "object_id",
    "scope_id",
    "title",
    "body",
    "context",
    "url",
)


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _project(row: dict[str, Any]) -> Fields:
    return Fields(
        title=f"{row['code']} {row['name']}",
        body=_lines(row["objectives"], row["scope"], row["success_criteria"], row["assumptions"]),
        context=row["programme__name"] or "",
    )


def _task(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["name"],
        body=row["description"],
        context=f"{row['project__code']} {row['project__name']}",
        scope_id=row["project_id"],
    )


def _request(row: dict[str, Any]) -> Fields:
    return Fields(
        title=f"#{row['pk']} {row['title']}",
        body=row["description"],
        context=row["queue__name"],
        scope_id=row["queue_id"],
    )


def _risk(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["title"],
        body=_lines(row["description"], row["mitigation"]),
        context=f"{row['project__code']} {row['project__name']}",
        scope_id=row["project_id"],
    )


def _improvement(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["title"],
        body=_lines(row["problem"], row["evidence"], row["expected_benefit"], row["result"]),
        context=str(ItemStatus(row["status"]).label),
    )


def _process(row: dict[str, Any]) -> Fields:
    return Fields(title=row["name"], body=row["description"])


def _kpi(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["name"],
        body=row["description"],
        context=row["process__name"],
        scope_id=row["process_id"],
    )


def _person(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["user__full_name"] or row["user__email"],
        body=_lines(row["user__job_title"], row["user__email"]),
        context=str(Role(row["role"]).label),
    )


def _lesson(row: dict[str, Any]) -> Fields:
    return Fields(
        title=row["title"],
        body=_lines(row["worked"], row["did_not_work"], row["recommendation"]),
        context=f"{row['project__code']} {row['project__name']}",
        scope_id=row["project_id"],
    )


SOURCES: dict[Kind, Source] = {
    s.kind: s
    for s in (
        Source(
            Kind.PROJECT,
            Project,
            (
                "code",
                "name",
                "objectives",
                "scope",
                "success_criteria",
                "assumptions",
                "programme__name",
            ),
            _project,
            "projects:detail",
            ("pk",),
        ),
        Source(
            Kind.TASK,
            Task,
            ("name", "description", "project_id", "project__code", "project__name"),
            _task,
            "projects:task",
            ("project_id", "pk"),
        ),
        Source(
            Kind.REQUEST,
            Request,
            ("title", "description", "queue_id", "queue__name"),
            _request,
            "operations:request",
            ("pk",),
        ),
        Source(
            Kind.RISK,
            Risk,
            ("title", "description", "mitigation", "project_id", "project__code", "project__name"),
            _risk,
            "risks:detail",
            ("pk",),
        ),
        Source(
            Kind.IMPROVEMENT,
            ImprovementItem,
            ("title", "problem", "evidence", "expected_benefit", "result", "status"),
            _improvement,
            "improvement:item",
            ("pk",),
        ),
        Source(
            Kind.PROCESS, Process, ("name", "description"), _process, "operations:process", ("pk",)
        ),
        Source(
            Kind.KPI,
            Kpi,
            ("name", "description", "process_id", "process__name"),
            _kpi,
            "operations:kpi",
            ("pk",),
        ),
        Source(
            Kind.PERSON,
            Membership,
            ("user_id", "user__full_name", "user__email", "user__job_title", "role"),
            _person,
            "accounts:people",
            (),
            lambda row: f"#person-{row['user_id']}",
        ),
        Source(
            Kind.LESSON,
            Lesson,
            (
                "title",
                "worked",
                "did_not_work",
                "recommendation",
                "project_id",
                "project__code",
                "project__name",
            ),
            _lesson,
            "closeout:lesson",
            ("pk",),
        ),
    )
}

# The model label history.record reports → the kind it indexes.
KIND_OF_LABEL: dict[str, Kind] = {s.model._meta.label_lower: k for k, s in SOURCES.items()}

# A parent whose name is the context line of its children's documents.
CHILDREN_OF_LABEL: dict[str, tuple[Kind, ...]] = {
    "projects.project": (Kind.TASK, Kind.RISK, Kind.LESSON),
    "operations.queue": (Kind.REQUEST,),
    "operations.process": (Kind.KPI,),
}
# The field of each child kind that holds its parent (its documents' ``scope_id``): children
# hidden with their parent (a lesson of a trashed project) leave and come back with it.
SCOPE_FIELD: dict[Kind, str] = {
    Kind.TASK: "project_id",
    Kind.RISK: "project_id",
    Kind.LESSON: "project_id",
    Kind.REQUEST: "queue_id",
    Kind.KPI: "process_id",
}
