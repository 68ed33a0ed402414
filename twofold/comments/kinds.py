"""Which objects take comments. Attaching the component to a new object is two lines:

    register(CommentKind("change", "changes.ChangeRequest", "change request", _url("changes:detail")))

here (or from the owning app's ``AppConfig.ready``), and ``{% comments_panel obj %}`` in its
page template. ``project`` and ``process`` name the lookup from the object to the project or the
process it belongs to, so the activity feeds of both find its comments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse


@dataclass(frozen=True)
class CommentKind:
    """A kind of object that takes comments."""

    slug: str  # in URLs and the API: /comments/task/12/
    model_label: str  # "projects.Task"
    noun: str  # "task"
    url: Callable[[Any], str]  # the object's page
    project: str | None = None  # lookup to the project id ("project_id", "id")
    process: str | None = None  # lookup to the process id ("queue__process_id")

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


_KINDS: dict[str, CommentKind] = {}


def register(kind: CommentKind) -> None:
    from twofold.notifications.selectors import register_followable

    _KINDS[kind.slug] = kind
    register_followable(kind.model_label)  # its comments panel offers Follow


def get(slug: str) -> CommentKind | None:
    return _KINDS.get(slug)


def all_kinds() -> list[CommentKind]:
    return list(_KINDS.values())


def kind_for(obj: models.Model) -> CommentKind | None:
    """The registered kind of ``obj`` (by its model), or None."""
    label = obj._meta.label
    for kind in _KINDS.values():
        if kind.model_label == label:
            return kind
    return None


def _url(name: str, *attrs: str) -> Callable[[Any], str]:
    def url(obj: Any) -> str:
        return reverse(name, args=[getattr(obj, a) for a in attrs or ("pk",)])

    return url


def register_defaults() -> None:
    register(CommentKind("project", "projects.Project", "project", _url("projects:detail"), "id"))
    register(
        CommentKind(
            "task", "projects.Task", "task", _url("projects:task", "project_id", "pk"), "project_id"
        )
    )
    register(CommentKind("risk", "risks.Risk", "risk", _url("risks:detail"), "project_id"))
    register(
        CommentKind(
            "request",
            "operations.Request",
            "request",
            _url("operations:request"),
            process="queue__process_id",
        )
    )
    register(
        CommentKind("kpi", "operations.Kpi", "KPI", _url("operations:kpi"), None, "process_id")
    )
    register(
        CommentKind(
            "process", "operations.Process", "process", _url("operations:process"), None, "id"
        )
    )
    register(
        CommentKind(
            "improvement",
            "improvement.ImprovementItem",
            "improvement item",
            _url("improvement:item"),
            "project_id",
            "process_id",
        )
    )
    register(
        CommentKind(
            "handover",
            "improvement.Handover",
            "handover",
            _url("improvement:handover"),
            "project_id",
            "process_id",
        )
    )
    register(
        CommentKind(
            "change",
            "changes.ChangeRequest",
            "change request",
            _url("changes:detail"),
            "project_id",
        )
    )
