"""Going live on a process, and the before/after check that follows.

Two things go live on a process: an improvement item (its ``go_live`` date) and a project that
changes a process (a ``ProcessChange`` link with a ``go_live`` date). Either way the process's
KPIs get a change point on that date (``operations.change_points.set_change_points``), so their
charts start a new phase there, and the item shows whether the change proved itself
(``engine.improvement_check``).

Which KPIs: an item raised from a KPI uses that KPI; otherwise every live KPI of its process.
A project link uses every live KPI of the linked process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from twofold.accounts.models import User
from twofold.core import dates, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid, NotFound
from twofold.core.policy import Action, require
from twofold.engine.improvement_check import (
    MIN_BEFORE_POINTS,
    ImprovementCheck,
    check_improvement,
)
from twofold.improvement.models import ImprovementItem, ProcessChange
from twofold.operations import selectors as ops
from twofold.operations.change_points import (
    MAX_LABEL,
    park_points,
    restore_points,
    set_change_points,
)
from twofold.operations.models import ChangePoint, ChangeSource, Kpi, Process
from twofold.projects.models import Project


def item_kpis(item: ImprovementItem) -> list[Kpi]:
    """The KPIs an item's go-live marks: its own KPI, else its process's live KPIs."""
    if item.kpi_id is not None:
        return [item.kpi] if item.kpi is not None else []
    if item.process_id is None:
        return []
    return list(Kpi.objects.filter(process_id=item.process_id, archived_at__isnull=True))


def went_live_label(name: str) -> str:
    """The change points' label, "Went live: <title>", cut with an ellipsis to fit a label
    (a title or project name near its 160 characters made the go-live impossible to set or
    clear: the label was refused)."""
    label = f"Went live: {name}"
    if len(label) <= MAX_LABEL:
        return label
    return label[: MAX_LABEL - 1].rstrip() + "…"


def _stale(version: int, expected: int | None) -> None:
    if expected is not None and version != expected:
        raise Conflict(
            "Someone else changed this since you opened it. Reload to see their change, "
            "then make yours again."
        )


@transaction.atomic
def set_item_go_live(
    *, actor: User, item: ImprovementItem, go_live: dt.date | None, expected_version: int | None
) -> ImprovementItem:
    """Record (or clear, with None) the day the item's countermeasure went live."""
    require(actor, Action.EDIT, item)
    dates.require_day_in_range(go_live, "go_live")
    _stale(item.version, expected_version)
    kpis = item_kpis(item)
    if go_live is not None and not kpis:
        raise Invalid(
            "Link the item to a process or KPI first: going live marks that process's KPIs.",
            field="go_live",
        )
    old = item.go_live
    set_change_points(
        actor=actor,
        kpis=kpis,
        date=go_live,
        label=went_live_label(item.title),
        source=ChangeSource.IMPROVEMENT,
        source_id=item.pk,
    )
    item.go_live = go_live
    save_versioned(item, expected_version=expected_version, fields=["go_live"])
    if old != go_live:
        history.record(
            actor=actor,
            obj=item,
            action="go-live set" if go_live else "go-live cleared",
            changes={"go-live": [_iso(old), _iso(go_live)]},
        )
    return item


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


@transaction.atomic
def link_process(
    *,
    actor: User,
    project: Project,
    process: Process,
    go_live: dt.date | None = None,
    note: str = "",
) -> ProcessChange:
    """Say that ``project`` changes ``process`` (project managers: EDIT on the project)."""
    require(actor, Action.EDIT, project)
    if process.organisation_id != project.organisation_id:
        raise Invalid("Choose a process of this organisation.", field="process")
    if process.archived_at is not None:
        raise Invalid("That process is archived.", field="process")
    if ProcessChange.objects.filter(project=project, process=process).exists():
        raise Invalid("The project already changes this process.", field="process")
    link = ProcessChange.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        process=process,
        note=note.strip()[:300],
        created_by=actor,
    )
    history.record(
        actor=actor, obj=project, action="process linked", summary=f"Changes {process.name}"
    )
    if go_live is not None:
        set_link_go_live(actor=actor, link=link, go_live=go_live, expected_version=link.version)
    return link


@transaction.atomic
def set_link_go_live(
    *, actor: User, link: ProcessChange, go_live: dt.date | None, expected_version: int | None
) -> ProcessChange:
    """The day the project went live on the process: its KPIs get a change point then."""
    project = link.project
    require(actor, Action.EDIT, project)
    # The same days as an item's go-live and the API (year 9999 was taken here).
    dates.require_day_in_range(go_live, "go_live")
    _stale(link.version, expected_version)
    kpis = list(Kpi.objects.filter(process_id=link.process_id, archived_at__isnull=True))
    set_change_points(
        actor=actor,
        kpis=kpis,
        date=go_live,
        label=went_live_label(project.name),
        source=ChangeSource.PROJECT,
        source_id=link.pk,
    )
    old = link.go_live
    link.go_live = go_live
    save_versioned(link, expected_version=expected_version, fields=["go_live"])
    if old != go_live:
        history.record(
            actor=actor,
            obj=project,
            action="go-live set",
            changes={f"go-live on {link.process.name}": [_iso(old), _iso(go_live)]},
        )
    return link


@transaction.atomic
def unlink_process(
    *, actor: User, link: ProcessChange, expected_version: int | None = None
) -> None:
    """Remove the link and the change points its go-live made. ``expected_version``: as read;
    a go-live set since (with its change points) is a Conflict and nothing is removed."""
    project = link.project
    require(actor, Action.EDIT, project)
    locked = ProcessChange.objects.select_for_update().filter(pk=link.pk).first()
    if locked is None:
        raise NotFound("Not found.")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Someone changed the link to {link.process.name} since you read it (its go-live): "
            "look again before unlinking."
        )
    set_change_points(
        actor=actor,
        kpis=[],
        date=None,
        label=project.name,
        source=ChangeSource.PROJECT,
        source_id=link.pk,
    )
    name = link.process.name
    link.delete()
    history.record(
        actor=actor, obj=project, action="process unlinked", summary=f"No longer changes {name}"
    )


def follow_trash(changed: dict[str, list[int]], in_trash: bool) -> None:
    """Trash listener: an item or a project in the trash no longer splits the KPIs' charts with
    its go-live (its change points go, and come back with a restore); purged, it leaves none
    behind (a review found a purged item's point that nobody could remove)."""
    items = changed.get(ImprovementItem._meta.label_lower, [])
    projects = changed.get(Project._meta.label_lower, [])
    if not items and not projects:
        return
    # Every link, live or not: the project is in the trash already when this hears of it.
    links = list(
        ProcessChange.all_objects.filter(project_id__in=projects).select_related("project")
    )
    with transaction.atomic():
        if in_trash:
            park_points(ChangeSource.IMPROVEMENT, items)
            park_points(ChangeSource.PROJECT, [link.pk for link in links])
            return
        for item in ImprovementItem.objects.filter(pk__in=items, go_live__isnull=False):
            assert item.go_live is not None
            restore_points(
                kpis=item_kpis(item),
                date=item.go_live,
                label=went_live_label(item.title),
                source=ChangeSource.IMPROVEMENT,
                source_id=item.pk,
            )
        for link in links:
            if link.go_live is None:
                continue
            restore_points(
                kpis=list(Kpi.objects.filter(process_id=link.process_id, archived_at__isnull=True)),
                date=link.go_live,
                label=went_live_label(link.project.name),
                source=ChangeSource.PROJECT,
                source_id=link.pk,
            )


def park_project_points(project: Project) -> None:
    """Before a project is purged: the change points of its go-lives go (a project trashed
    before they followed the trash, or whose listener failed, still had them)."""
    links = list(
        ProcessChange.all_objects.filter(project_id=project.pk).values_list("pk", flat=True)
    )
    if links:
        park_points(ChangeSource.PROJECT, links)


# --- Reads: the before/after check --------------------------------------------------------------


@dataclass
class KpiCheck:
    """One KPI's before/after around a go-live, with the engine's verdict (None: no baseline)."""

    view: ops.KpiView
    change: ChangePoint
    before_points: int
    after_points: int
    check: ImprovementCheck | None

    @property
    def kpi(self) -> Kpi:
        return self.view.kpi

    @property
    def verdict_badge(self) -> str:
        if self.check is None:
            return ""
        return {"improvement confirmed": "green", "not yet": "amber", "no change": "red"}[
            self.check.verdict.value
        ]

    def chart_data(self) -> dict[str, Any]:
        return self.view.chart_data()

    @property
    def script_id(self) -> str:
        return f"check-chart-{self.kpi.pk}"


def before_after(view: ops.KpiView, change: ChangePoint) -> KpiCheck:
    """Split ``view``'s series at ``change``: the before phase's baseline against every point
    since (up to the next change point)."""
    phases = view.phases
    # Several change points on one day (a project and its item) start one phase.
    after_phase = next(
        (p for p in phases if p.change is not None and p.change.date == change.date), None
    )
    before_phase = None
    if after_phase is not None:
        index = phases.index(after_phase)
        before_phase = phases[index - 1] if index > 0 else None
    if after_phase is None or before_phase is None or before_phase.chart is None:
        # No point since go-live (or none before): the points before it, from the baseline of
        # the phase they are in when it has one, as the KPI's chart takes its limits (every
        # point before it read 2.14 where the chart's centre line was 2.0).
        cut = next((i for i, d in enumerate(view.dates) if d >= change.date), len(view.dates))
        before_values = view.values[:cut]
        after_values = view.values[cut:]
        holding = [p for p in phases if p.first < cut and p.chart is not None]
        if holding and after_phase is None:
            base = holding[-1].chart.baseline  # type: ignore[union-attr]
            start = holding[-1].first
            before_values = view.values[start + base.start : min(start + base.stop, cut)]
    else:
        base = before_phase.chart.baseline
        start = before_phase.first
        before_values = view.values[start + base.start : start + base.stop]
        after_values = view.values[after_phase.first : after_phase.stop]
    check = None
    if len(before_values) >= MIN_BEFORE_POINTS:
        check = check_improvement(
            before_values, after_values, higher_is_better=view.kpi.good_direction == "up"
        )
    return KpiCheck(view, change, len(before_values), len(after_values), check)


def item_checks(item: ImprovementItem) -> list[KpiCheck]:
    """The before/after of every KPI the item's go-live marked (three queries)."""
    if item.go_live is None:
        return []
    points = {
        p.kpi_id: p
        for p in ChangePoint.objects.filter(source=ChangeSource.IMPROVEMENT, source_id=item.pk)
    }
    kpis = list(Kpi.objects.filter(pk__in=list(points)).select_related("process"))
    return [before_after(view, points[view.kpi.pk]) for view in ops.kpi_views(kpis)]
