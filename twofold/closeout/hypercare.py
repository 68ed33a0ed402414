"""Hypercare: while a handed-over queue is in its hypercare dates, a new request on it concerns
the project team too.

The seam for notifications (Twofold's ``notifications`` app is built separately):

* ``operations.services.REQUEST_CREATED_STEPS`` runs :func:`on_request_created` inside the
  transaction that creates a request (registered from ``CloseoutConfig.ready``);
* when the request's queue is in hypercare on the day the request is created, it collects the
  recipients (the project team: manager, sponsor, everyone assigned to one of its tasks, by
  name), records a line in the request's history ("Hypercare: project team notified — Priya
  Raman, Luis Ortega (handover of Energy monitoring pilot)") and, **after the commit**, calls
  every function registered with :func:`register` with one :class:`HypercareNotice`;
* a notifications app registers once in its ``ready()``::

      from twofold.closeout import hypercare
      hypercare.register(lambda notice: notify(recipients=notice.recipients, ...))

A listener that fails is logged and never undoes the request (``on_commit(robust=True)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from twofold.accounts.models import User
from twofold.closeout.selectors import hypercare_for_queue
from twofold.core import history
from twofold.operations.models import Request


@dataclass(frozen=True)
class HypercareNotice:
    """One request raised on a queue in hypercare, and who should hear of it."""

    request: Request
    recipients: list[User]
    project_id: int
    project_name: str
    starts_on: dt.date
    ends_on: dt.date


_listeners: list[Callable[[HypercareNotice], None]] = []


def register(listener: Callable[[HypercareNotice], None]) -> None:
    """Hear of every request raised in hypercare, after its transaction commits."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister(listener: Callable[[HypercareNotice], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def notice_for(request: Request) -> HypercareNotice | None:
    """The hypercare notice for ``request`` on the day it was created, the organisation's
    calendar day (None outside hypercare, or when the project has no team). Two queries."""
    info = hypercare_for_queue(request.queue, at=request.created_at)
    if info is None or not info.active or info.day > info.ends_on or not info.team:
        return None
    return HypercareNotice(
        request=request,
        recipients=info.team,
        project_id=info.project_id,
        project_name=info.project_name,
        starts_on=info.starts_on,
        ends_on=info.ends_on,
    )


def on_request_created(actor: User, request: Request) -> None:
    """Registered in ``operations.services.REQUEST_CREATED_STEPS``."""
    notice = notice_for(request)
    if notice is None:
        return
    names = ", ".join(u.display_name for u in notice.recipients)
    history.record(
        actor=None,
        obj=request,
        action="hypercare",
        summary=f"Hypercare: project team notified — {names} (handover of {notice.project_name})",
    )
    for listener in list(_listeners):
        transaction.on_commit(lambda f=listener: f(notice), robust=True)  # type: ignore[misc]
