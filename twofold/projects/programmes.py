"""Programmes: groups of related projects with a manager and objectives.

Reads and writes in one small module (the programme pages and API are its only callers).
Archived programmes are hidden from lists and pickers but keep their projects, reports and
history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Sum, Value, When
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, can, require
from twofold.projects import selectors
from twofold.projects.models import Programme, Project, Task
from twofold.projects.services import _check_dates, _member_of

PROGRAMME_FIELDS = ["name", "manager", "objectives", "description", "start", "finish"]


# ---------------------------------------------------------------------------------------------
# Reads


def programmes_of(organisation: Organisation, *, archived: bool = False) -> QuerySet[Programme]:
    """The organisation's programmes (active ones, or with ``archived`` every one)."""
    qs = Programme.objects.filter(organisation=organisation).select_related("manager")
    return qs if archived else qs.filter(archived_at__isnull=True)


def get_programme(user: Any, organisation: Organisation, programme_id: int) -> Programme:
    """The programme if ``user`` may see it, else ``NotFound`` (archived ones too)."""
    programme = (
        Programme.objects.filter(pk=programme_id, organisation=organisation)
        .select_related("manager", "organisation")
        .first()
    )
    if programme is None or not can(user, Action.VIEW, programme):
        raise NotFound("Programme not found.")
    return programme


@dataclass
class Rollup:
    """A programme with its projects' health and progress rolled up."""

    programme: Programme
    cards: list[selectors.Card] = field(default_factory=list)
    # Each project's total progress weight (:func:`project_weights`); a project missing here
    # weighs nothing.
    weights: dict[int, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.cards)

    @property
    def health(self) -> dict[str, int]:
        counts = {"green": 0, "amber": 0, "red": 0, "not_planned": 0}
        for c in self.cards:
            counts[c.health.level.value] += 1
        return counts

    @property
    def level(self) -> str:
        """The worst health of its projects; "not_planned" when none of them is planned yet
        (it read "On track" for a programme of projects without a schedule)."""
        h = self.health
        if h["red"]:
            return "red"
        if h["amber"]:
            return "amber"
        return "green" if h["green"] else "not_planned"

    def _weighted(self, values: list[tuple[int, float]]) -> float:
        """The projects' percentages weighted by their work, as a project weighs its tasks: a
        two-year project counts for more than a two-week one (a plain average until
        2026-12-06). Projects without tasks weigh nothing; none with work: 0."""
        total = sum(self.weights.get(pk, 0.0) for pk, _v in values)
        if not total:
            return 0.0
        return sum(self.weights.get(pk, 0.0) * v for pk, v in values) / total

    @property
    def percent_complete(self) -> float:
        return self._weighted([(c.project.pk, c.percent_complete) for c in self.cards])

    @property
    def percent_planned(self) -> float:
        return self._weighted([(c.project.pk, c.percent_planned) for c in self.cards])

    @property
    def finish(self) -> dt.datetime | None:
        finishes = [c.project.scheduled_finish for c in self.cards if c.project.scheduled_finish]
        return max(finishes) if finishes else None


def project_weights(organisation: Organisation, programme_ids: list[int]) -> dict[int, float]:
    """Per project of these programmes, the sum of its leaf tasks' progress weights
    (``scheduling.progress_weight``: the duration in minutes, an hour for a milestone or a task
    of no duration): what its percent complete is a share of. One aggregated query."""
    weight = Case(
        When(is_milestone=True, then=Value(60)),
        When(duration_minutes=0, then=Value(60)),
        default=F("duration_minutes"),
        output_field=IntegerField(),
    )
    rows = (
        Task.objects.filter(
            organisation=organisation, project__programme_id__in=programme_ids, is_summary=False
        )
        .order_by()
        .values("project_id")
        .annotate(total=Sum(weight))
        .values_list("project_id", "total")
    )
    return {pk: float(total or 0) for pk, total in rows}


def rollups(
    organisation: Organisation, *, archived: bool = False, include_archived_projects: bool = False
) -> list[Rollup]:
    """Every programme with its projects' cards: the portfolio's queries plus two."""
    rows = {p.pk: Rollup(p) for p in programmes_of(organisation, archived=archived)}
    for card in selectors.portfolio(
        organisation, sparklines=False, sort="name", include_archived=include_archived_projects
    ):
        row = rows.get(card.project.programme_id or 0)
        if row is not None:
            row.cards.append(card)
    weights = project_weights(organisation, list(rows)) if rows else {}
    for row in rows.values():
        row.weights = weights
    return list(rows.values())


def rollup_of(programme: Programme, *, include_archived_projects: bool = False) -> Rollup:
    row = Rollup(programme)
    row.cards = [
        c
        for c in selectors.portfolio(
            programme.organisation,
            sparklines=False,
            sort="name",
            include_archived=include_archived_projects,
        )
        if c.project.programme_id == programme.pk
    ]
    row.weights = project_weights(programme.organisation, [programme.pk])
    return row


# ---------------------------------------------------------------------------------------------
# Writes


def _clean(organisation: Organisation, values: dict[str, Any], current: Programme | None) -> None:
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"Unknown field {name}.", field=name)
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
        if not values["name"]:
            raise Invalid("A programme needs a name.", field="name")
        if len(values["name"]) > 120:
            raise Invalid("A programme's name is at most 120 characters.", field="name")
        clash = Programme.objects.filter(organisation=organisation, name__iexact=values["name"])
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            raise Invalid(f"There is already a programme called {values['name']}.", field="name")
    for name in ("objectives", "description"):
        if name in values:
            values[name] = str(values[name] or "").strip()
            if len(values[name]) > 20_000:
                raise Invalid("Keep it under 20,000 characters.", field=name)
    _member_of(organisation.pk, values.get("manager"), "manager", no_guests=True)
    _check_dates(values, ("start", "finish"))
    start = values.get("start", current.start if current else None)
    finish = values.get("finish", current.finish if current else None)
    if start and finish and finish < start:
        raise Invalid("The finish must be on or after the start.", field="finish")


@transaction.atomic
def create_programme(*, actor: User, organisation: Organisation, **values: Any) -> Programme:
    """A new programme (admins and owners)."""
    require(actor, Action.MANAGE, organisation)
    values.setdefault("name", "")
    _clean(organisation, values, None)
    programme = Programme.objects.create(organisation=organisation, **values)
    history.record(
        actor=actor, obj=programme, action="created", summary=f"Created {programme.name}"
    )
    return programme


@transaction.atomic
def update_programme(
    *, actor: User, programme: Programme, expected_version: int | None, **values: Any
) -> Programme:
    require(actor, Action.MANAGE, programme)
    _clean(programme.organisation, values, programme)
    before = history.snapshot(programme, values)
    for key, value in values.items():
        setattr(programme, key, value)
    save_versioned(programme, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(programme, values))
    if changes:
        history.record(actor=actor, obj=programme, action="updated", changes=changes)
    return programme


@transaction.atomic
def set_programme_archived(
    *, actor: User, programme: Programme, archived: bool, expected_version: int | None
) -> Programme:
    """Archive (hide from lists and pickers) or bring back a programme; its projects stay."""
    require(actor, Action.MANAGE, programme)
    if archived == (programme.archived_at is not None):
        raise Invalid(
            f"{programme.name} is {'already' if archived else 'not'} archived.", field="archived"
        )
    programme.archived_at = timezone.now() if archived else None
    save_versioned(programme, expected_version=expected_version, fields=["archived_at"])
    history.record(
        actor=actor,
        obj=programme,
        action="archived" if archived else "unarchived",
        summary=f"{'Archived' if archived else 'Unarchived'} {programme.name}",
    )
    return programme


@transaction.atomic
def assign_project(
    *,
    actor: User,
    project: Project,
    programme: Programme | None,
    expected_version: int | None = None,
) -> Project:
    """Put ``project`` in ``programme`` (``None`` takes it out). History on both sides."""
    require(actor, Action.MANAGE, project)
    if programme is not None:
        if programme.organisation_id != project.organisation_id:
            raise NotFound("Programme not found.")
        if programme.archived_at is not None:
            raise Invalid(
                f"The programme {programme.name} is archived; unarchive it first.",
                field="programme",
            )
    old = project.programme
    if (old.pk if old else None) == (programme.pk if programme else None):
        return project
    project.programme = programme
    save_versioned(project, expected_version=expected_version, fields=["programme"])
    history.record(
        actor=actor,
        obj=project,
        action="updated",
        changes={"programme": [str(old) if old else None, str(programme) if programme else None]},
    )
    for side, verb in ((old, "project removed"), (programme, "project added")):
        if side is not None:
            history.record(actor=actor, obj=side, action=verb, summary=str(project))
    return project
