"""The kinds of notification: a registry, so another app adds its kind with one line.

    # in your app's AppConfig.ready():
    from twofold.notifications.kinds import register_kind
    register_kind("timesheet_approval", "A timesheet waiting for my approval")

then ``notifications.services.notify(kind="timesheet_approval", ...)``. A kind's key is stored
on each notification and each e-mail preference (no choices, so adding a kind needs no
migration); its label is what the inbox filter and the e-mail settings show; ``email`` is the
delivery a person gets until they choose another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of notification: its stored key, its label for people, its default e-mail."""

    key: str
    label: str
    email: str = "immediate"  # a ``models.Delivery`` value


_KINDS: dict[str, Kind] = {}

ALL_KINDS = "*"
"""Every kind at once: the key of a person's master switch (an ``EmailPreference`` row: "stop
all notification e-mails") and of an unsubscribe link for every kind (``tokens.py``)."""


def register_kind(key: str, label: str, *, email: str = "immediate") -> Kind:
    """Make ``key`` a kind of notification (idempotent); returns it."""
    if not key or len(key) > 40:
        raise ValueError(f"a notification kind key must be 1-40 characters, got {key!r}")
    if key == ALL_KINDS:
        raise ValueError(f"{ALL_KINDS!r} means every kind: it cannot be one")
    if email not in {"immediate", "digest", "off"}:
        raise ValueError(f"email must be immediate, digest or off, got {email!r}")
    kind = Kind(key, label, email)
    _KINDS[key] = kind
    return kind


def kind_of(key: str) -> Kind:
    """The registered kind ``key`` (an unknown key raises ``KeyError``)."""
    return _KINDS[key]


def all_kinds() -> list[Kind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


ASSIGNED = register_kind("assigned", "Assigned to me").key
MENTIONED = register_kind("mentioned", "I was @mentioned").key
COMMENT = register_kind("comment", "A comment on something I follow").key
DUE = register_kind("due", "My task or routine is due tomorrow or overdue", email="digest").key
SLA = register_kind("sla", "A request in my queue is about to breach its SLA or breached").key
MISSED = register_kind("missed", "A routine occurrence was missed").key
GATE = register_kind("gate", "A gate is waiting for my sign-off").key
HANDOVER = register_kind("handover", "A handover is waiting for my acceptance").key
JOB = register_kind("job", "My background job finished", email="off").key
KPI_SIGNAL = register_kind("kpi_signal", "A KPI of a process I own raised a signal").key
