"""Where a notification about an object links to: the object's page.

Models in Twofold have no ``get_absolute_url``; this maps each followable model to its page.
An app whose model is not here passes ``url=`` to ``notify`` (or calls ``register_link``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.urls import NoReverseMatch, reverse

_LINKS: dict[str, Callable[[Any], str]] = {}


def register_link(label: str, build: Callable[[Any], str]) -> None:
    """Link objects of model ``label`` (``app_label.modelname``) to ``build(obj)``."""
    _LINKS[label.lower()] = build


def _r(name: str, *args: Any) -> Callable[[Any], str]:
    return lambda obj: reverse(
        name, args=[getattr(obj, a) if isinstance(a, str) else a for a in args]
    )


register_link("projects.project", _r("projects:detail", "pk"))
register_link("projects.task", _r("projects:task", "project_id", "pk"))
register_link("projects.gate", _r("projects:gates", "project_id"))
register_link("operations.process", _r("operations:process", "pk"))
register_link("operations.kpi", _r("operations:kpi", "pk"))
register_link("operations.queue", _r("operations:queue", "pk"))
register_link("operations.request", _r("operations:request", "pk"))
register_link("operations.routine", _r("operations:routine", "pk"))
register_link("operations.occurrence", _r("operations:occurrence", "pk"))
register_link("risks.risk", _r("risks:detail", "pk"))
register_link("improvement.improvementitem", _r("improvement:item", "pk"))
register_link("improvement.handover", _r("improvement:handover", "pk"))


def _job_page(job: Any) -> str:
    from twofold.core.jobs import kind_of

    kind = kind_of(job.kind)
    return kind.page_url(job) if kind else ""


register_link("core.job", _job_page)


def link_for(obj: models.Model) -> str:
    """The page of ``obj``, or "" when none is known (or it cannot be built)."""
    build = _LINKS.get(obj._meta.label_lower)
    if build is None:
        get = getattr(obj, "get_absolute_url", None)
        build = (lambda o: str(get())) if callable(get) else None
    if build is None:
        return ""
    try:
        return str(build(obj))
    except (NoReverseMatch, AttributeError, ValueError):
        return ""
