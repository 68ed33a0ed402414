"""Archive, unarchive and delete a project.

Archiving hides a project from the portfolio, the lists and My work (a "show archived" toggle
brings it back into view); reports and history keep it. Deleting is permanent (a restorable
trash is a later step), so the page first names everything that goes with the project: rows
removed by the database's cascades are counted by Django's deletion collector, and apps that
point at a project without a foreign key (attachments) register a :class:`DeletePart` here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from twofold.accounts.models import User
from twofold.core import history, trash
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid
from twofold.core.policy import Action, require
from twofold.projects.models import Project


@dataclass(frozen=True)
class DeletePart:
    """Rows of another app that belong to a project without a cascading foreign key."""

    label: str  # plural noun, e.g. "attachments"
    count: Callable[[Project], int]
    delete: Callable[[Project], None]


_PARTS: list[DeletePart] = []


def register_delete_part(part: DeletePart) -> None:
    """Called from an app's ``ready()``: its rows are named on the confirmation and deleted."""
    if all(p.label != part.label for p in _PARTS):
        _PARTS.append(part)


# Other apps' rules on the way through a gate and notes on the portfolio card (registered from
# their ``ready()``; ``closeout``: the gate into closure waits for an accepted handover, and
# the card says "Handed over to <process>").
GateCheck = Callable[[Project, str], "str | None"]
CardNotes = Callable[[list[Any]], None]
_GATE_CHECKS: list[GateCheck] = []
_CARD_NOTES: list[CardNotes] = []


def register_gate_check(check: GateCheck) -> None:
    """``check(project, gate_phase)`` returns why the gate cannot pass yet, or None."""
    if check not in _GATE_CHECKS:
        _GATE_CHECKS.append(check)


def gate_blockers(project: Project, phase: str) -> list[str]:
    return [m for check in _GATE_CHECKS if (m := check(project, phase))]


def register_card_notes(notes: CardNotes) -> None:
    """``notes(cards)`` appends lines to ``card.notes`` for a page of cards (constant queries)."""
    if notes not in _CARD_NOTES:
        _CARD_NOTES.append(notes)


def add_card_notes(cards: list[Any]) -> None:
    for notes in _CARD_NOTES:
        notes(cards)


# What the confirmation names, in this order; other cascaded models follow under their names.
_LABELS = {
    "projects.task": "tasks",
    "projects.link": "links",
    "risks.risk": "risks",
    "projects.baseline": "baselines",
    "projects.checklistitem": "task checklist items",
    "projects.gate": "gates",
    "improvement.handover": "handovers",
}
# Bookkeeping rows not worth naming (they only mean something with their parent).
_QUIET = {
    "projects.project",
    "projects.gateitem",
    "projects.baselinetask",
    "projects.progresssnapshot",
}


def what_goes_with(project: Project) -> list[tuple[str, int]]:
    """``[(label, count), …]`` of everything deleting ``project`` removes (non-zero counts)."""
    collector = Collector(using=router.db_for_write(Project))
    collector.collect([project])
    # The same rows can be reached twice (a link cascades from its project and from its tasks):
    # count distinct primary keys per model.
    rows: dict[Any, set[Any]] = defaultdict(set)
    for model, objs in collector.data.items():
        rows[model].update(o.pk for o in objs)
    for qs in collector.fast_deletes:
        rows[qs.model].update(qs.values_list("pk", flat=True))
    counts: dict[str, int] = {}

    def add(label: str, n: int) -> None:
        if n:
            counts[label] = counts.get(label, 0) + n

    for model, pks in rows.items():
        key = model._meta.label_lower
        if key not in _QUIET and not model._meta.auto_created:
            add(_LABELS.get(key, str(model._meta.verbose_name_plural)), len(pks))
    for part in _PARTS:
        add(part.label, part.count(project))
    order = list(_LABELS.values())
    return sorted(
        counts.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])
    )


def describe(parts: list[tuple[str, int]]) -> str:
    """``"12 tasks, 9 links and 3 risks"`` (or ``"nothing else"``)."""
    words = [f"{n} {label if n != 1 else label.removesuffix('s')}" for label, n in parts]
    if not words:
        return "nothing else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@transaction.atomic
def set_project_archived(
    *, actor: User, project: Project, archived: bool, expected_version: int | None
) -> Project:
    """Archive a project (hidden from portfolio, lists and My work) or bring it back."""
    require(actor, Action.MANAGE, project)
    if archived == (project.archived_at is not None):
        raise Invalid(
            f"{project.name} is {'already' if archived else 'not'} archived.", field="archived"
        )
    project.archived_at = timezone.now() if archived else None
    save_versioned(project, expected_version=expected_version, fields=["archived_at"])
    history.record(
        actor=actor,
        obj=project,
        action="archived" if archived else "unarchived",
        summary=f"{'Archived' if archived else 'Unarchived'} {project}",
    )
    return project


@transaction.atomic
def delete_project(*, actor: User, project: Project, expected_version: int | None) -> str:
    """Move ``project`` with everything that goes with it to the trash. Returns what went.

    An admin restores it from the trash within the retention; the worker then deletes it for
    good (``core.trash``). The version check refuses a delete confirmed on a page that is out of
    date (409).
    """
    require(actor, Action.MANAGE, project)
    # Checked under the project's row lock, with the delete (an edit committing between an
    # unlocked check and the delete went to the trash unseen).
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if expected_version is not None and (locked is None or locked.version != expected_version):
        raise Conflict(
            "Someone else changed this project since you opened the page. Reload to see what "
            "would be deleted now."
        )
    gone = describe(what_goes_with(project))
    trash.move_to_trash(actor=actor, obj=project, expected_version=expected_version)
    return gone
