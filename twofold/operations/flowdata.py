"""Flow metrics for requests and routine occurrences: engine results shaped for Chart.js."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from twofold.accounts.models import Organisation
from twofold.engine.flow import (
    ageing_wip,
    cumulative_flow,
    cycle_times,
    throughput_per_day,
    throughput_per_week,
)
from twofold.engine.forecast import DEFAULT_MAX_DAYS, forecast_how_many_by, forecast_when
from twofold.operations.calendars import local
from twofold.operations.models import Occurrence, OccurrenceStatus, Request

WEEKS = 26
MAX_FORECAST_DAYS = DEFAULT_MAX_DAYS
"""Furthest a "how many by" date may be from today (as far as "when" looks: 10 years)."""
HISTORY_DAYS = 90
SEED = 20240601  # a fixed seed: the same data gives the same forecast on every page load


SHOWN_LEVELS = (50, 85, 95)
"""The percentile lines the flow page draws (the engine computes 70 as well)."""


def _stamp(value: dt.datetime | None, zone: str) -> np.datetime64:
    """An instant on the organisation's wall clock: for days and weeks, not for durations (in
    the repeated autumn hour the wall clock runs backwards)."""
    if value is None:
        return np.datetime64("NaT", "s")
    return np.datetime64(local(value, zone).replace(microsecond=0), "s")


def _shown_level(level: int) -> int:
    """The highest line the page shows at or below an exceeded ``level`` (0: none)."""
    return max((shown for shown in SHOWN_LEVELS if shown <= level), default=0)


def by_problem(by: dt.date, today: dt.date) -> str:
    """What is wrong with a "how many done by" date, or "": the forecast counts the items done
    from tomorrow up to ``by``, at most :data:`MAX_FORECAST_DAYS` ahead."""
    if by <= today:
        return "Choose a day after today: the forecast counts the items done from tomorrow."
    if by > today + dt.timedelta(days=MAX_FORECAST_DAYS):
        return f"Forecasts reach at most {MAX_FORECAST_DAYS // 365} years ahead."
    return ""


def today_of(organisation: Organisation) -> dt.date:
    """Today in the organisation's time zone: the day the flow charts end on, whoever looks."""
    return local(timezone.now(), organisation.timezone).date()


def items_for(
    organisation: Organisation, source: str, since: dt.datetime, today: dt.date
) -> list[tuple[Any, Any, Any]]:
    """(arrived, started, finished) aware timestamps of the items touching the window.

    Requests: raised, first answered, resolved; those raised in the window, resolved in it, or
    still open. Routine occurrences: one arrives at the start of the day it falls due (or when
    it was done, if earlier), and counts as started then unless a start was recorded; those due
    in the window or done in it, but none whose day has not come yet (the worker makes them up
    to 30 days ahead: they are not work in progress).
    """
    if source == "occurrences":
        zone = zoneinfo.ZoneInfo(organisation.timezone)
        occ = (
            Occurrence.objects.filter(organisation=organisation)
            .filter(Q(due__gte=since) | Q(completed_at__gte=since))
            .exclude(status=OccurrenceStatus.MISSED)
        )
        rows = []
        for o in occ.only("due", "started_at", "completed_at"):
            day = o.due.astimezone(zone).date()
            if day > today and o.completed_at is None:
                continue
            arrived = dt.datetime.combine(day, dt.time(), tzinfo=zone)
            if o.completed_at is not None:
                arrived = min(arrived, o.completed_at)
            rows.append((arrived, o.started_at or arrived, o.completed_at))
        return rows
    reqs = Request.objects.filter(organisation=organisation).filter(
        Q(created_at__gte=since) | Q(resolved_at__gte=since) | Q(resolved_at__isnull=True)
    )
    return [
        (r.created_at, r.first_response_at, r.resolved_at)
        for r in reqs.only("created_at", "first_response_at", "resolved_at")
    ]


def flow_metrics(
    organisation: Organisation,
    source: str,
    *,
    today: dt.date,
    forecast_by: dt.date | None = None,
    forecast_items: int | None = None,
) -> dict[str, Any]:
    zone = organisation.timezone
    first_day = today - dt.timedelta(weeks=WEEKS)
    # The first bar is the whole ISO week holding first_day: read from its Monday's midnight
    # on the organisation's clock.
    monday = first_day - dt.timedelta(days=first_day.weekday())
    since = dt.datetime.combine(monday, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))
    rows = items_for(organisation, source, since, today)
    arrived = np.array([_stamp(a, zone) for a, _, _ in rows], dtype="datetime64[s]")
    started = np.array([_stamp(s, zone) for _, s, _ in rows], dtype="datetime64[s]")
    finished = np.array([_stamp(f, zone) for _, _, f in rows], dtype="datetime64[s]")
    # Durations (cycle times, ages) in real time: from the UTC instants.
    started_utc = np.array([_stamp(s, "UTC") for _, s, _ in rows], dtype="datetime64[s]")
    finished_utc = np.array([_stamp(f, "UTC") for _, _, f in rows], dtype="datetime64[s]")
    weekly = throughput_per_week(finished, first_day, today)
    cycles = cycle_times(started_utc, finished_utc)
    # Ages as of now: by the end of ``today`` only for a day already over (a caller's other day).
    end_of_today = dt.datetime.combine(today, dt.time(23, 59), tzinfo=zoneinfo.ZoneInfo(zone))
    wip = ageing_wip(started_utc, finished_utc, _stamp(min(timezone.now(), end_of_today), "UTC"))
    cfd = cumulative_flow(
        np.column_stack((arrived, started, finished))
        if rows
        else np.empty((0, 3), "datetime64[s]"),
        ("Arrived", "Started", "Done"),
        today - dt.timedelta(days=HISTORY_DAYS),
        today,
    )
    daily = throughput_per_day(
        finished, today - dt.timedelta(days=HISTORY_DAYS), today - dt.timedelta(days=1)
    )
    has_history = bool(daily.counts.sum())
    start = today + dt.timedelta(days=1)
    how_many = None
    when = None
    if forecast_by is not None:  # the callers refuse a later date; never simulate past it
        forecast_by = min(forecast_by, today + dt.timedelta(days=MAX_FORECAST_DAYS))
    if has_history and forecast_by is not None and forecast_by >= start:
        result = forecast_how_many_by(daily.counts, start, forecast_by, seed=SEED)
        how_many = [{"level": lv.confidence, "items": lv.items} for lv in result.levels]
    if has_history and forecast_items:
        w = forecast_when(daily.counts, forecast_items, start=start, seed=SEED)
        when = [
            {
                "level": lv.confidence,
                "date": str(lv.date) if lv.date is not None else None,
                "days": lv.days,
            }
            for lv in w.levels
        ]
    finished_dates = [
        str(finished[i].astype("datetime64[D]")) for i in cycles.item_indices.tolist()
    ]
    return {
        "throughput": {
            "labels": list(weekly.iso_labels),
            "counts": weekly.counts.tolist(),
        },
        "cycle": {
            "points": [
                {"x": d, "y": round(float(y), 2)}
                for d, y in zip(finished_dates, cycles.days.tolist(), strict=True)
            ],
            "lines": [
                {"level": ln.level, "days": round(ln.days, 2)}
                for ln in cycles.percentile_lines
                if ln.level in SHOWN_LEVELS
            ],
        },
        "wip": {
            "ages": [round(float(a), 2) for a in wip.ages_days.tolist()],
            "exceeded": [_shown_level(level) for level in wip.exceeded_level.tolist()],
            "lines": [
                {"level": ln.level, "days": round(ln.days, 2)}
                for ln in wip.percentile_lines
                if ln.level in SHOWN_LEVELS
            ],
        },
        "cfd": {
            "labels": [str(d) for d in cfd.days.tolist()],
            "states": list(cfd.state_names),
            "cumulative": cfd.cumulative.T.tolist(),
        },
        "how_many": how_many,
        "when": when,
        "items": len(rows),
        "done": int((~np.isnat(finished)).sum()),
    }
