"""Server-rendered Gantt chart: one pass over the rows builds one SVG string.

Everything that comes from users (task names) goes through ``escape``; the SVG has no script.
Bars sit on the working calendar (non-working days shaded), links are elbow connectors, the
critical path is red, milestones are diamonds, summaries are brackets, baselines thin grey bars.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape  # the stdlib's: Django's wraps it in str() and mark_safe per call

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from twofold.calendars.working_time import off_days
from twofold.core import dates as tf_dates
from twofold.engine.calendars import (
    Calendar,
    CalendarRangeError,
    add_working_minutes,
    working_minutes_between,
)
from twofold.projects.dates import finish_day
from twofold.projects.models import Task
from twofold.projects.scheduling import compiled_calendar
from twofold.projects.selectors import Row

ZOOMS = {"days": 28.0, "weeks": 9.0, "months": 3.0, "quarters": 1.1}
ROW = 26
HEAD = 44
LABEL = 300
BAR = 14


# Dates in the organisation's format (core.dates), memoised per (format, day, kind): a page
# formats ~1,500 dates, and formatting each one afresh was a tenth of the chart's time.
@functools.lru_cache(maxsize=8192)
def _label(fmt: str, day: dt.date, kind: str) -> str:
    if kind == "short":
        return tf_dates.format_day_short(day)
    if kind == "weekday_short":
        return tf_dates.format_day_short(day, weekday=True)
    return tf_dates.format_day(day, weekday=True)


def _dm(day: dt.date) -> str:
    """The short date: 7 Mar (or 07/03, …, in the organisation's format)."""
    return _label(tf_dates.active_format(), day, "short")


def _adm(day: dt.date) -> str:
    """The short date with its weekday: Fri 7 Mar."""
    return _label(tf_dates.active_format(), day, "weekday_short")


def _afull(day: dt.date) -> str:
    """The full date with its weekday: Fri 7 Mar 2025."""
    return _label(tf_dates.active_format(), day, "weekday_full")


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    width: int
    height: int
    origin: dt.date
    px_per_day: float


def _local(value: dt.datetime | None, tzinfo: dt.tzinfo) -> dt.datetime | None:
    # astimezone directly: timezone.localtime's checks cost as much as the conversion here.
    return value.astimezone(tzinfo).replace(tzinfo=None) if value else None


@functools.lru_cache(maxsize=64)
def shaded_day_ranges(
    calendar: Calendar, origin: dt.date, days: int
) -> tuple[tuple[int, int], ...]:
    """Runs of non-working days (first day index, length) of ``calendar`` on the chart's axis.

    THE SHADING LAYER: everything the chart shades comes from here (drawn as ``g-off`` rects
    under the bars by :func:`shading`). Memoised per calendar and axis: compiled calendars are
    shared objects (the engine caches them per spec), so a changed calendar is a new key.
    """
    return tuple(off_days(calendar, origin, days))


def _assignee_name(task: Task) -> str:
    """The name annotated by ``wbs_rows(for_gantt=True)``, else the loaded assignee's."""
    if not task.assignee_id:
        return ""
    annotated = getattr(task, "assignee_name", None)
    if annotated is not None:
        return str(annotated)
    return task.assignee.display_name if task.assignee else ""


@dataclass(frozen=True)
class ChartLink:
    """What the chart needs of a link (lighter than a model instance for thousands of links)."""

    pred_id: int
    succ_id: int
    type: str
    critical: bool


def split_at(
    task: Task, start: dt.datetime, finish: dt.datetime, cal: Calendar
) -> tuple[dt.datetime, dt.datetime] | None:
    """Where a started task's done part ends and its remaining work resumes, when the schedule
    put time between them (its remaining work waits for the status date, or for its links under
    retained logic); None for a task whose work runs without a break.

    ``start`` and ``finish`` are local instants (``start`` is the actual start); the done part is
    ``percent_complete`` of the duration, on the project's calendar as the scheduler counts it.
    """
    pct = task.percent_complete
    if task.actual_start is None or not 0 < pct < 100 or task.duration_minutes <= 0:
        return None
    try:
        if working_minutes_between(cal, start, finish) <= task.duration_minutes + 1:
            return None
        done = task.duration_minutes * pct / 100
        done_end = add_working_minutes(cal, start, done)
        resume = add_working_minutes(cal, finish, -(task.duration_minutes - done))
    except CalendarRangeError:
        return None
    return (done_end, resume) if resume > done_end else None


def _date(value: dt.datetime | dt.date) -> dt.date:
    """The calendar date of a value already in the organisation's zone (no second conversion)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _header(origin: dt.date, days: int, zoom: str, px: float, parts: list[str]) -> None:
    parts.append(_header_svg(origin, days, zoom, px, tf_dates.active_format()))


@functools.lru_cache(maxsize=64)
def _header_svg(origin: dt.date, days: int, zoom: str, px: float, date_format: str) -> str:
    """The time axis (two tiers of labels), memoised per axis and organisation date format."""
    parts: list[str] = []
    height = HEAD
    parts.append(
        f'<rect class="g-head" x="{LABEL}" y="0" width="{days * px:.0f}" height="{height}"/>'
    )
    # Top tier: months (or years when zoomed out); bottom tier: days, weeks, months or quarters.
    day = origin
    end = origin + dt.timedelta(days=days)
    while day < end:
        if zoom == "quarters":
            nxt = dt.date(day.year + 1, 1, 1)
            label = str(day.year)
        else:
            nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            label = tf_dates.format_month(day)
        x = LABEL + (day - origin).days * px
        w = (min(nxt, end) - day).days * px
        parts.append(f'<line class="g-tick" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}"/>')
        if w > 40:
            parts.append(f'<text class="g-head-text" x="{x + 4:.1f}" y="15">{label}</text>')
        day = nxt
    day = origin
    while day < end:
        if zoom == "days":
            nxt, label = day + dt.timedelta(days=1), f"{day.day}"
        elif zoom == "weeks":
            nxt, label = (
                day + dt.timedelta(days=7 - day.weekday()),
                f"{tf_dates.format_day_short(_date(day))}",
            )
        elif zoom == "months":
            nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            label = f"{day:%b}"
        else:
            q = (day.month - 1) // 3
            nxt = dt.date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)
            label = f"Q{q + 1}"
        x = LABEL + (day - origin).days * px
        w = (min(nxt, end) - day).days * px
        parts.append(f'<line class="g-tick" x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height}"/>')
        if w >= 16:
            parts.append(
                f'<text class="g-head-text g-minor" x="{x + w / 2:.1f}" y="37" text-anchor="middle">{label}</text>'
            )
        day = nxt
    return "".join(parts)


MIN_AXIS_PX = 1000
"""The narrowest time axis drawn: a short plan still fills a desktop panel instead of leaving a
blank strip beside a chart that stops half-way."""


def axis_days(origin: dt.date, last: dt.date, zoom: str, px: float) -> int:
    """Days the time axis spans from ``origin``: three weeks past ``last``, at least six weeks
    and ``MIN_AXIS_PX`` wide, and ending on a boundary of the axis's lower tier (a Monday, the
    first of a month or of a quarter), so the last column is whole and its label fits."""
    end = max(
        last + dt.timedelta(days=21),
        origin + dt.timedelta(days=max(42, math.ceil(MIN_AXIS_PX / px))),
    )
    if zoom == "weeks":
        end += dt.timedelta(days=(7 - end.weekday()) % 7)
    elif zoom == "months" and end.day != 1:
        end = dt.date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    elif zoom == "quarters":
        quarter = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
        if end != quarter:
            end = dt.date(quarter.year + (quarter.month == 10), (quarter.month + 2) % 12 + 1, 1)
    return (end - origin).days


def shading(calendar: Calendar, origin: dt.date, days: int, px: float, body_h: float) -> list[str]:
    """SVG rects shading the non-working days (weekends, holidays) from ``origin``."""
    return [
        f'<rect class="g-off" x="{LABEL + start * px:.1f}" y="{HEAD}" '
        f'width="{length * px:.1f}" height="{body_h}" '
        f'data-off="{origin + dt.timedelta(days=start)}"/>'
        for start, length in shaded_day_ranges(calendar, origin, days)
    ]


def render(
    rows: Sequence[Row],
    links: Sequence[ChartLink],
    tzinfo: dt.tzinfo,
    *,
    zoom: str = "weeks",
    baseline: dict[int, tuple[dt.datetime | None, dt.datetime | None]] | None = None,
    today: dt.date | None = None,
    editable: bool = False,
    extent: tuple[dt.datetime, dt.datetime] | None = None,
    calendar: Calendar | None = None,
) -> Chart:
    """The chart for ``rows`` (display order) as one SVG.

    ``calendar`` is the project's working time (its non-working days are shaded); the Standard
    week if not given.

    ``extent`` (aware first and last instant) fixes the time axis, so that every page of a long
    plan shares one scale; by default it spans ``rows`` and their baseline.
    """
    zoom = zoom if zoom in ZOOMS else "weeks"
    px = ZOOMS[zoom]
    today = today or timezone.localdate()
    baseline = baseline or {}
    dates: list[dt.datetime] = []
    local: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    for r in rows:
        s, f = _local(r.task.start, tzinfo), _local(r.task.finish, tzinfo)
        local[r.task.pk] = (s, f)
        if extent is None:
            dates.extend(d for d in (s, f) if d)
            b = baseline.get(r.task.pk)
            if b:
                dates.extend(d for d in (_local(b[0], tzinfo), _local(b[1], tzinfo)) if d)
    if extent is not None:
        dates = [d for d in (_local(extent[0], tzinfo), _local(extent[1], tzinfo)) if d]
    first = min(dates).date() if dates else today
    last = max(dates).date() if dates else today + dt.timedelta(days=30)
    # Today joins the axis when it is within a month of the plan's first day (either side): a
    # plan that starts months from now opens at its first bar, not after an empty stretch.
    first = min(first, today) if abs((today - first).days) < 30 else first
    # Likewise at the end: a plan that finished in the last month shows where today is.
    last = max(last, today) if abs((today - last).days) < 30 else last
    origin = first - dt.timedelta(days=first.weekday() + 7)
    if zoom in ("months", "quarters"):
        origin = dt.date(origin.year, origin.month, 1)
    days = axis_days(origin, last, zoom, px)
    width = int(LABEL + days * px)
    height = HEAD + ROW * max(len(rows), 1) + 8

    origin_at = dt.datetime.combine(origin, dt.time())
    px_per_second = px / 86400

    def x_of(moment: dt.datetime) -> float:
        return LABEL + (moment - origin_at).total_seconds() * px_per_second

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gantt-svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-labelledby="gantt-title" data-px-per-day="{px}" '
        f'data-origin="{origin.isoformat()}">',
        '<title id="gantt-title">Gantt chart</title>',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" class="g-arrowhead"/></marker>'
        '<marker id="arrow-crit" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" class="g-arrowhead-crit"/></marker></defs>',
    ]
    # Non-working days of the project's calendar (weekends and holidays), merged into runs.
    body_h = height - HEAD
    cal = calendar or compiled_calendar()
    if px >= 1.0:
        parts.extend(shading(cal, origin, days, px, body_h))
    _header(origin, days, zoom, px, parts)
    # The task names: a column of their own, drawn last so that it can stay in view over the
    # bars while the chart scrolls sideways (gantt-frame.js moves it by the frame's scroll).
    names: list[str] = [
        '<g class="g-names" id="gantt-names"><clipPath id="g-names-clip">'
        f'<rect class="g-names-width" x="0" y="0" width="{LABEL}" height="{height}"/></clipPath>'
        '<g clip-path="url(#g-names-clip)">'
        f'<rect class="g-labels g-names-width" x="0" y="0" width="{LABEL}" height="{height}"/>'
        f'<rect class="g-names-head" x="0" y="0" width="{LABEL}" height="{HEAD}"/>'
        '<text class="g-head-text" x="10" y="30">Task</text>'
    ]
    ys: dict[int, float] = {}
    for i, r in enumerate(rows):
        ys[r.task.pk] = HEAD + i * ROW + ROW / 2
    # Links under bars.
    for link in links:
        if link.pred_id not in ys or link.succ_id not in ys:
            continue
        ps, pf = local[link.pred_id]
        ss, sf = local[link.succ_id]
        if not (ps and pf and ss and sf):
            continue
        x1 = x_of(pf if link.type in ("FS", "FF") else ps)
        x2 = x_of(ss if link.type in ("FS", "SS") else sf)
        y1, y2 = ys[link.pred_id], ys[link.succ_id]
        crit = link.critical
        cls = "g-link g-link-crit" if crit else "g-link"
        marker = "arrow-crit" if crit else "arrow"
        down = BAR / 2 if y2 > y1 else -BAR / 2
        if link.type in ("FS", "SS"):
            if link.type == "FS" and x2 >= x1 + 6:
                d = f"M{x1:.1f},{y1:.1f} H{x2 + 4:.1f} V{y2 - down:.1f}"
            else:
                out = x1 + 6 if link.type == "FS" else x1 - 6
                mid = y1 + (ROW / 2 if y2 > y1 else -ROW / 2)
                d = f"M{x1:.1f},{y1:.1f} H{out:.1f} V{mid:.1f} H{x2 - 8:.1f} V{y2:.1f} H{x2:.1f}"
        else:
            out = max(x1, x2) + 8
            d = f"M{x1:.1f},{y1:.1f} H{out:.1f} V{y2:.1f} H{x2 + 1:.1f}"
        parts.append(f'<path class="{cls}" d="{d}" marker-end="url(#{marker})"/>')
    # Rows: label, baseline, bar.
    for i, r in enumerate(rows):
        t = r.task
        y = HEAD + i * ROW
        cy = y + ROW / 2
        name = escape(t.name)
        indent = 10 + r.depth * 16
        weight = ' font-weight="600"' if t.is_summary else ""
        label_text = (
            name if len(t.name) <= 34 - r.depth * 2 else escape(t.name[: 32 - r.depth * 2]) + "…"
        )
        names.append(
            f'<line class="g-row" x1="0" y1="{y + ROW:.1f}" x2="{LABEL}" y2="{y + ROW:.1f}"/>'
            f'<text class="g-label{" g-crit-label" if t.is_critical and not t.is_summary else ""}" x="{indent}" y="{cy + 4:.1f}"{weight}>'
            f"<title>{escape(r.wbs)} {name}</title>{label_text}</text>"
        )
        parts.append(
            f'<line class="g-row" x1="{LABEL}" y1="{y + ROW:.1f}" x2="{width}" y2="{y + ROW:.1f}"/>'
        )
        b = baseline.get(t.pk)
        if b and b[0] and b[1]:
            bs, bf = _local(b[0], tzinfo), _local(b[1], tzinfo)
            assert bs is not None and bf is not None
            bx, bw = x_of(bs), max(x_of(bf) - x_of(bs), 2.0)
            parts.append(
                f'<rect class="g-baseline" x="{bx:.1f}" y="{cy + BAR / 2 + 1:.1f}" width="{bw:.1f}" height="4">'
                f"<title>Baseline {_dm(_date(bs))} – {_dm(_date(bf))}</title></rect>"
            )
        s, f = local[t.pk]
        if not (s and f):
            continue
        x, x_end = x_of(s), x_of(f)
        # The finish date under the pages' end-of-day convention (only a morning finish can
        # differ from its own date: see projects.dates).
        fday = finish_day(f, start=s) or f.date() if f.hour < 12 else f.date()
        tip = f"<title>{name}: {_adm(_date(s))} – {_afull(fday)}"
        if not t.is_summary:
            tip += f", {t.percent_complete}% complete, float {t.total_float_minutes / 480:g} d"
        tip += "</title>"
        crit_cls = " g-crit" if t.is_critical else ""
        # Editable charts: every shape is a link target (data-target) with a link handle at its
        # end; task bars also move (data-task) and resize (the g-resize strip on the right edge).
        target = (
            f' data-target="{t.pk}" data-version="{t.version}" data-name="{name}"'
            if editable
            else ""
        )
        handle_x = x_end + (14 if t.is_milestone and not t.is_summary else 7)
        # One shared description (``gantt-keys``, in the page) instead of a sentence per shape:
        # a 250-row page was ~20 % instructions repeated for every bar.
        handle = (
            f'<circle class="g-handle" cx="{handle_x:.1f}" cy="{cy:.1f}" r="4.5"/>'
            if editable
            else ""
        )
        gap = 12 if editable else 0
        if t.is_milestone and not t.is_summary:
            parts.append(
                f'<g class="g-item"{target}><path class="g-milestone{crit_cls}" d="M{x_end:.1f},{cy - 8:.1f} l8,8 l-8,8 l-8,-8 z">{tip}</path>{handle}</g>'
                f'<text class="g-bar-text" x="{x_end + 12 + gap:.1f}" y="{cy + 4:.1f}">{_dm(fday)}</text>'
            )
        elif t.is_summary:
            w = max(x_end - x, 2.0)
            parts.append(
                f'<g class="g-item"{target}><path class="g-summary" d="M{x:.1f},{cy - 6:.1f} h{w:.1f} v10 l-5,-4 H{x + 5:.1f} l-5,4 z">{tip}</path>{handle}</g>'
            )
        else:
            w = max(x_end - x, 3.0)
            # "group", not "img", on the chart: an image hides its content, so screen readers
            # dropped these focusable bars. Their name says what the colour says too.
            state = (", critical" if crit_cls else "") + (
                f", {t.percent_complete:g} % complete" if t.percent_complete else ""
            )
            drag = (
                f' data-task="{t.pk}" data-days="{t.duration_minutes / 480:g}" tabindex="0"'
                ' role="button" aria-roledescription="task bar"'
                f' aria-label="{name}: {_dm(_date(s))} – {_dm(fday)}{state}"'
                ' aria-describedby="gantt-keys"'
                if editable
                else ""
            )
            # A split task (work waiting after its done part) is one bar clipped to its two
            # parts, joined by a dotted line, as Microsoft Project draws it; still one shape to
            # drag and resize.
            split = split_at(t, s, f, cal) if t.actual_start else None
            clip = ""
            done_w = w * t.percent_complete / 100
            if split is not None:
                x_done, x_resume = x_of(split[0]), x_of(split[1])
                done_w = x_done - x
                top, clip_id = cy - BAR / 2 - 1, f"split-{t.pk}"
                parts.append(
                    f'<clipPath id="{clip_id}"><rect x="{x:.1f}" y="{top:.1f}" width="{done_w:.1f}" height="{BAR + 2}"/>'
                    f'<rect x="{x_resume:.1f}" y="{top:.1f}" width="{x_end - x_resume + 10:.1f}" height="{BAR + 2}"/></clipPath>'
                )
                clip = f' clip-path="url(#{clip_id})"'
                tip = tip.replace(
                    "</title>",
                    f"; work resumes {_adm(split[1].date())} after a break</title>",
                )
            parts.append(
                f'<g class="g-item g-task{crit_cls}"{target}{drag}><rect class="g-bar" x="{x:.1f}" y="{cy - BAR / 2:.1f}" width="{w:.1f}" height="{BAR}" rx="3"{clip}>{tip}</rect>'
            )
            if split is not None:
                parts.append(
                    f'<line class="g-split" x1="{x_done:.1f}" y1="{cy:.1f}" x2="{x_resume:.1f}" y2="{cy:.1f}"/>'
                )
            if t.percent_complete:
                parts.append(
                    f'<rect class="g-progress" x="{x:.1f}" y="{cy - 2:.1f}" width="{done_w:.1f}" height="4"/>'
                )
            if editable:
                parts.append(
                    f'<rect class="g-resize" x="{x + w - 5:.1f}" y="{cy - BAR / 2:.1f}" width="8" height="{BAR}"/>'
                    f"{handle}"
                )
            parts.append("</g>")
            who = _assignee_name(t)
            if who:
                parts.append(
                    f'<text class="g-bar-text" x="{x + w + 6 + gap:.1f}" y="{cy + 4:.1f}">{escape(who)}</text>'
                )
    tx = x_of(dt.datetime.combine(today, dt.time(12)))
    if LABEL < tx < width:  # never over the task names when today is before the axis
        parts.append(
            f'<line class="g-today" x1="{tx:.1f}" y1="{HEAD - 6}" x2="{tx:.1f}" y2="{height}"/>'
        )
        # A small marker under the axis labels (the legend says "Today"): a tag with the word
        # covered the week or day label under it.
        parts.append(
            f'<path class="g-today-tag" d="M{tx - 6:.1f},{HEAD - 7} h12 l-6,7 z">'
            f"<title>Today, {_afull(today)}</title></path>"
        )
    names.append(
        # Names cut by a narrowed column fade out instead of stopping mid-letter.
        '<linearGradient id="g-names-cut"><stop offset="0" stop-color="#fff" stop-opacity="0"/>'
        '<stop offset="1" stop-color="#fff"/></linearGradient>'
        f'<rect class="g-names-cut" x="{LABEL - 18}" y="{HEAD}" width="18" height="{height - HEAD}" '
        'fill="url(#g-names-cut)"/>'
        f'<line class="g-names-edge" x1="{LABEL - 0.5}" y1="0" x2="{LABEL - 0.5}" '
        f'y2="{height}"/></g>'
        # A soft shadow on the bars' side while the column floats over them.
        '<linearGradient id="g-names-fade"><stop offset="0" stop-color="#0f172a" '
        'stop-opacity=".14"/><stop offset="1" stop-color="#0f172a" stop-opacity="0"/>'
        f'</linearGradient><rect class="g-names-shade" x="{LABEL}" y="0" width="8" '
        f'height="{height}" fill="url(#g-names-fade)"/></g>'
    )
    parts.extend(names)
    parts.append("</svg>")
    return Chart(mark_safe("".join(parts)), width, height, origin, px)  # noqa: S308
