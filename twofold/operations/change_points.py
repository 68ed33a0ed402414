"""Writes for KPI change points: the day a deliberate change went live on the process.

A change point starts a new phase on the KPI's control chart (``selectors.kpi_view``). It may be
recorded by hand (admins, like the baseline period) or follow a project or improvement item
going live (``set_change_points``, called by the joining app with the item's or link's id, so
moving the go-live date moves the point).

A change point must not lie before the KPI's first value: a phase with no "before" points has no
voice of the process to compare with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Min

from twofold.accounts.models import User
from twofold.core import dates, history
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.operations.models import ChangePoint, ChangeSource, Kpi, Measurement
from twofold.operations.services import refresh_kpi_states

MAX_LABEL = 160


def _clean_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise Invalid("Say what changed (a short label).", field="label")
    if len(label) > MAX_LABEL:
        raise Invalid(f"Keep the label under {MAX_LABEL} characters.", field="label")
    return label


def first_values(kpis: Sequence[Kpi]) -> dict[int, dt.date]:
    """The day of each KPI's first measurement (KPIs without any are left out); one query."""
    rows = (
        Measurement.objects.filter(kpi_id__in=[k.pk for k in kpis])
        .values("kpi_id")
        .annotate(first=Min("measured_on"))
        .order_by()
    )
    return {r["kpi_id"]: r["first"] for r in rows}


def _check_after_first(kpi: Kpi, day: dt.date, first: dt.date | None, field: str) -> None:
    if first is None:
        raise Invalid(
            f"{kpi.name} has no values yet: a change point needs values before it.", field=field
        )
    if day <= first:
        raise Invalid(
            f"{day.isoformat()} is not after the first value of {kpi.name} "
            f"({first.isoformat()}): a change point needs values before it.",
            field=field,
        )


@transaction.atomic
def add_change_point(*, actor: User, kpi: Kpi, date: dt.date, label: str) -> ChangePoint:
    """Record a change to the process by hand (admins). Refused on or before the first value."""
    require(actor, Action.MANAGE, kpi)
    label = _clean_label(label)
    if not isinstance(date, dt.date):
        raise Invalid("Give the day the change went live.", field="date")
    dates.require_day_in_range(date, "date")  # as the API's schema (the page took 9999)
    _check_after_first(kpi, date, first_values([kpi]).get(kpi.pk), "date")
    point = ChangePoint.objects.create(
        organisation_id=kpi.organisation_id,
        kpi=kpi,
        date=date,
        label=label,
        source=ChangeSource.MANUAL,
        created_by=actor,
    )
    history.record(
        actor=actor,
        obj=kpi,
        action="change point added",
        summary=f"{date.isoformat()}: {label}",
    )
    refresh_kpi_states([kpi])
    return point


@transaction.atomic
def remove_change_point(*, actor: User, point: ChangePoint) -> None:
    """Remove a change point recorded by hand; those that follow a go-live move with it."""
    kpi = point.kpi
    require(actor, Action.MANAGE, kpi)
    if point.source != ChangeSource.MANUAL:
        raise Invalid(
            "This change point follows a go-live date: change or clear that date instead.",
            field="source",
        )
    summary = f"{point.date.isoformat()}: {point.label}"
    point.delete()
    history.record(actor=actor, obj=kpi, action="change point removed", summary=summary)
    refresh_kpi_states([kpi])


@transaction.atomic
def set_change_points(
    *,
    actor: User,
    kpis: Sequence[Kpi],
    date: dt.date | None,
    label: str,
    source: ChangeSource,
    source_id: int,
    field: str = "go_live",
) -> list[ChangePoint]:
    """Make the change points of one source (a project link or an item) exactly these.

    Each of ``kpis`` gets one point on ``date`` (moved if it had one); points of this source on
    other KPIs, or all of them when ``date`` is None, are removed. KPIs without any value yet are
    skipped (their chart starts after the change anyway). A KPI whose first value is on or after
    ``date`` refuses the whole change, naming ``field``; nothing is saved then.
    """
    for kpi in kpis:
        require(actor, Action.EDIT, kpi)
    return _set_points(actor, kpis, date, label, source, source_id, field)


def _set_points(
    actor: User | None,
    kpis: Sequence[Kpi],
    date: dt.date | None,
    label: str,
    source: ChangeSource,
    source_id: int,
    field: str,
) -> list[ChangePoint]:
    label = _clean_label(label)[:MAX_LABEL]
    existing = {p.kpi_id: p for p in ChangePoint.objects.filter(source=source, source_id=source_id)}
    touched: list[Kpi] = []
    points: list[ChangePoint] = []
    if date is not None:
        firsts = first_values(kpis)
        kpis = [k for k in kpis if k.pk in firsts]
        for kpi in kpis:
            _check_after_first(kpi, date, firsts[kpi.pk], field)
        for kpi in kpis:
            point = existing.pop(kpi.pk, None)
            if point is None:
                point = ChangePoint(
                    organisation_id=kpi.organisation_id,
                    kpi=kpi,
                    source=source,
                    source_id=source_id,
                    created_by=actor,
                )
            elif (point.date, point.label) == (date, label):
                points.append(point)
                continue
            # A moved point says where it was (the KPI's history lost the old date).
            moved: dict[str, list[str]] = {}
            if point.pk is not None and point.date != date:
                moved = {"date": [point.date.isoformat(), date.isoformat()]}
            point.date, point.label = date, label
            point.save()
            points.append(point)
            touched.append(kpi)
            history.record(
                actor=actor,
                obj=kpi,
                action="change point set",
                changes=moved,
                summary=f"{date.isoformat()}: {label}",
            )
    for stale in existing.values():
        stale.delete()
        touched.append(stale.kpi)
        history.record(
            actor=actor,
            obj=stale.kpi,
            action="change point removed",
            summary=f"{stale.date.isoformat()}: {stale.label}",
        )
    if touched:
        refresh_kpi_states(touched)
    return points


@transaction.atomic
def park_points(source: ChangeSource, source_ids: Sequence[int]) -> None:
    """Remove the points of these sources: their item or project went to the trash (which
    checked the permission), so its go-live no longer splits the KPIs' charts; a restore puts
    them back (:func:`restore_points`). Purged later, it leaves none behind."""
    points = list(
        ChangePoint.objects.filter(source=source, source_id__in=list(source_ids)).select_related(
            "kpi"
        )
    )
    for point in points:
        point.delete()
        history.record(
            actor=None,
            obj=point.kpi,
            action="change point removed",
            summary=f"{point.date.isoformat()}: {point.label} (it went to the trash)",
        )
    if points:
        refresh_kpi_states(list({p.kpi_id: p.kpi for p in points}.values()))


@transaction.atomic
def restore_points(
    *, kpis: Sequence[Kpi], date: dt.date, label: str, source: ChangeSource, source_id: int
) -> None:
    """The points of a source back from the trash (the restore checked the permission); a KPI
    whose values no longer leave room before ``date`` gets none."""
    firsts = first_values(kpis)
    room = [k for k in kpis if k.pk in firsts and date > firsts[k.pk]]
    _set_points(None, room, date, label, source, source_id, "go_live")
