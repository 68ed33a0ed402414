"""Earned value: PV, EV, AC and the indices and forecasts built on them.

Pure computation over frozen dataclasses; no Django. Units, everywhere in this module:

* money: :class:`~decimal.Decimal` in the organisation's currency (sums are exact; forecasts are
  rounded half-up to the cent by :func:`cents`);
* dates: calendar days (:class:`datetime.date`), a work package runs from ``start`` to
  ``finish`` *inclusive*; the status date counts as a day already worked ("end of day");
* indices (SPI, CPI, TCPI): :class:`~decimal.Decimal` ratios, ``None`` where the divisor is 0.

Planned value spreads a package's budget evenly over its working days (``workdays``: a
:class:`WorkingDays` — the project calendar's working weekdays and the dates it takes off or
adds, e.g. holidays — or a plain set of ISO weekday numbers, Monday = 1); earned value is the budget times the percent complete (the
"percent complete" earning rule Microsoft Project uses by default); actual cost is what the
caller reports, day by day. MS Project's names: PV = BCWS, EV = BCWP, AC = ACWP, EAC = EAC,
VAC = VAC, SV = SV, CV = CV, SPI = SPI, CPI = CPI, TCPI = TCPI.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

ZERO = Decimal(0)
CENT = Decimal("0.01")
WEEKDAYS = frozenset({1, 2, 3, 4, 5})


@dataclass(frozen=True, slots=True)
class WorkingDays:
    """The days a project works: ``weekdays`` (ISO numbers, Monday = 1), less the dates in
    ``off`` (holidays on those weekdays), plus the dates in ``on`` (a working Saturday). Both
    are sorted tuples; counting a span costs two binary searches each, not a walk over it."""

    weekdays: frozenset[int] = WEEKDAYS
    off: tuple[dt.date, ...] = ()
    on: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        # Only a date the weekdays would work can be taken off, only another added: kept
        # sorted and without repeats for the binary searches.
        off = sorted({d for d in self.off if d.isoweekday() in self.weekdays})
        on = sorted({d for d in self.on if d.isoweekday() not in self.weekdays})
        object.__setattr__(self, "off", tuple(off))
        object.__setattr__(self, "on", tuple(on))

    def is_working(self, day: dt.date) -> bool:
        if day.isoweekday() in self.weekdays:
            return not _within(self.off, day, day)
        return _within(self.on, day, day) > 0

    def count(self, first: dt.date, last: dt.date) -> int:
        """Working days from ``first`` to ``last``, both included (0 when ``last < first``)."""
        if last < first:
            return 0
        return (
            _weekday_count(first, last, self.weekdays)
            - _within(self.off, first, last)
            + _within(self.on, first, last)
        )


def _within(days: tuple[dt.date, ...], first: dt.date, last: dt.date) -> int:
    return bisect_right(days, last) - bisect_left(days, first)


def _days_of(workdays: WorkingDays | frozenset[int]) -> WorkingDays:
    return workdays if isinstance(workdays, WorkingDays) else WorkingDays(frozenset(workdays))


__all__ = [
    "CurvePoint",
    "Metrics",
    "WorkPackage",
    "WorkingDays",
    "cents",
    "metrics",
    "planned_value",
    "roll_up",
    "s_curve",
    "week_ends",
]


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent, however large: with as many digits as it takes
    (a quantize beyond the context's 28 digits raised ``InvalidOperation``: a forecast on a
    tiny EV against a large BAC answered 500)."""
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, amount.adjusted() + 3)
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class WorkPackage:
    """One budgeted piece of work (a leaf task) as planned in the baseline.

    Attributes:
        uid: the task's id.
        budget: its budget at completion (planned effort × rates + planned expenses). A
            negative budget is a reduction (a change request that took budget away): planned
            and earned over its span like any other, it lowers PV, EV and BAC.
        start, finish: baseline dates, both included (``finish >= start``).
        percent_complete: 0-100, physical progress today.
        account: uid of its control account (a WBS summary task), or ``None``.
    """

    uid: int
    budget: Decimal
    start: dt.date
    finish: dt.date
    percent_complete: float = 0.0
    account: int | None = None

    def __post_init__(self) -> None:
        if self.finish < self.start:
            raise ValueError(f"package {self.uid}: finishes before it starts")
        if not 0 <= self.percent_complete <= 100:
            raise ValueError(f"package {self.uid}: percent complete outside 0-100")


def _working_days(first: dt.date, last: dt.date, workdays: WorkingDays | frozenset[int]) -> int:
    """Working days from ``first`` to ``last``, both included (0 when ``last < first``)."""
    return _days_of(workdays).count(first, last)


def _weekday_count(first: dt.date, last: dt.date, workdays: frozenset[int]) -> int:
    """Days from ``first`` to ``last`` (both included) whose ISO weekday is in ``workdays``."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * len(workdays)
    weekday = first.isoweekday()
    for i in range(rest):
        if (weekday + i - 1) % 7 + 1 in workdays:
            count += 1
    return count


def planned_value(
    package: WorkPackage, on: dt.date, workdays: WorkingDays | frozenset[int] = WEEKDAYS
) -> Decimal:
    """The budget of ``package`` planned to be done by the end of day ``on`` (BCWS).

    The budget spreads evenly over the package's working days; a package without working days
    (a weekend-only span, a milestone) is planned in full on its finish day.
    """
    if on < package.start:
        return ZERO
    if on >= package.finish:
        return package.budget
    total = _working_days(package.start, package.finish, workdays)
    if total == 0:
        return ZERO
    done = _working_days(package.start, on, workdays)
    return cents(package.budget * done / total)


def earned_value(package: WorkPackage) -> Decimal:
    """The budget of the work done (BCWP): budget × percent complete, to the cent."""
    return cents(package.budget * Decimal(str(package.percent_complete)) / 100)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Earned-value figures at a status date (money in cents where rounded, see module doc)."""

    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal

    @property
    def sv(self) -> Decimal:
        """Schedule variance EV − PV (negative: behind)."""
        return self.ev - self.pv

    @property
    def cv(self) -> Decimal:
        """Cost variance EV − AC (negative: over cost)."""
        return self.ev - self.ac

    @property
    def spi(self) -> Decimal | None:
        """Schedule performance index EV / PV."""
        return self.ev / self.pv if self.pv else None

    @property
    def cpi(self) -> Decimal | None:
        """Cost performance index EV / AC."""
        return self.ev / self.ac if self.ac else None

    @property
    def eac_atypical(self) -> Decimal:
        """EAC = AC + (BAC − EV): the remaining work costs what it was budgeted to."""
        return cents(self.ac + self.bac - self.ev)

    @property
    def eac_cpi(self) -> Decimal | None:
        """EAC = BAC / CPI: the remaining work costs what the work so far did (the usual one)."""
        cpi = self.cpi
        return cents(self.bac / cpi) if cpi else None

    @property
    def eac_cpi_spi(self) -> Decimal | None:
        """EAC = AC + (BAC − EV) / (CPI × SPI): cost and schedule pressure both persist."""
        cpi, spi = self.cpi, self.spi
        if not cpi or not spi:
            return None
        return cents(self.ac + (self.bac - self.ev) / (cpi * spi))

    @property
    def eac(self) -> Decimal:
        """The estimate at completion reported as "the" EAC: BAC / CPI, or AC + (BAC − EV)
        before any cost is known."""
        value = self.eac_cpi
        return value if value is not None else self.eac_atypical

    @property
    def etc(self) -> Decimal:
        """Estimate to complete EAC − AC."""
        return cents(self.eac - self.ac)

    @property
    def vac(self) -> Decimal:
        """Variance at completion BAC − EAC (negative: expected overrun)."""
        return cents(self.bac - self.eac)

    @property
    def tcpi(self) -> Decimal | None:
        """To-complete performance index (BAC − EV) / (BAC − AC): the CPI the remaining work
        needs to finish on budget (``None`` once the budget is spent)."""
        funds = self.bac - self.ac
        return (self.bac - self.ev) / funds if funds > 0 else None

    @property
    def percent_spent(self) -> Decimal | None:
        """AC as a percentage of BAC."""
        return self.ac * 100 / self.bac if self.bac else None


def metrics(
    packages: Iterable[WorkPackage],
    status_date: dt.date,
    actual_cost: Decimal = ZERO,
    workdays: WorkingDays | frozenset[int] = WEEKDAYS,
) -> Metrics:
    """The earned-value figures of ``packages`` at the end of ``status_date``.

    ``actual_cost`` is the cost recorded up to and including the status date (ACWP).
    """
    bac = pv = ev = ZERO
    for p in packages:
        bac += p.budget
        pv += planned_value(p, status_date, workdays)
        ev += earned_value(p)
    return Metrics(bac=bac, pv=pv, ev=ev, ac=actual_cost)


def roll_up(parts: Iterable[Metrics]) -> Metrics:
    """One figure for many (control accounts → project → programme → portfolio): BAC, PV, EV
    and AC add up; the indices and forecasts are recomputed from the sums, never averaged."""
    bac = pv = ev = ac = ZERO
    for m in parts:
        bac += m.bac
        pv += m.pv
        ev += m.ev
        ac += m.ac
    return Metrics(bac=bac, pv=pv, ev=ev, ac=ac)


def by_account(
    packages: Sequence[WorkPackage],
    status_date: dt.date,
    actual_cost: Mapping[int | None, Decimal],
    workdays: WorkingDays | frozenset[int] = WEEKDAYS,
) -> dict[int | None, Metrics]:
    """Metrics per control account (``None``: packages outside any account).

    ``actual_cost`` maps an account to its cost to date.
    """
    groups: dict[int | None, list[WorkPackage]] = {}
    for p in packages:
        groups.setdefault(p.account, []).append(p)
    for account in actual_cost:
        groups.setdefault(account, [])
    return {
        account: metrics(items, status_date, actual_cost.get(account, ZERO), workdays)
        for account, items in groups.items()
    }


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Cumulative PV, EV and AC at the end of ``day`` (EV and AC are ``None`` after the status
    date: they are not known yet)."""

    day: dt.date
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None


def week_ends(first: dt.date, last: dt.date, week_start: int = 0) -> list[dt.date]:
    """The last days of the weeks from the week of ``first`` to the week of ``last`` (the
    weekly buckets): weeks start on ``week_start`` (``date.weekday()``: 0 Monday, so they end
    on Sundays; 6 Sunday, ending on Saturdays)."""
    end_weekday = (week_start - 1) % 7
    end = first + dt.timedelta(days=(end_weekday - first.weekday()) % 7)
    out = []
    while True:
        out.append(end)
        if end >= last:
            return out
        end += dt.timedelta(days=7)


def s_curve(
    packages: Sequence[WorkPackage],
    days: Sequence[dt.date],
    status_date: dt.date,
    daily_cost: Mapping[dt.date, Decimal],
    earned_history: Sequence[tuple[dt.date, Decimal]] = (),
    workdays: WorkingDays | frozenset[int] = WEEKDAYS,
) -> list[CurvePoint]:
    """Time-phased cumulative PV, EV and AC at each of ``days`` (sorted ascending).

    ``daily_cost`` is the actual cost per day; ``earned_history`` the cumulative EV recorded on
    earlier days (progress snapshots), sorted ascending: a point before the status date shows the
    latest recorded EV at or before it (``None`` before the first); the status date itself shows
    today's EV.
    The last point on or after the status date carries the status-date EV and AC.
    """
    cost_days = sorted(daily_cost)
    ev_now = sum((earned_value(p) for p in packages), ZERO)
    planned = _planned_increments(packages, workdays)
    planned_days = sorted(planned)
    points: list[CurvePoint] = []
    pi = ci = hi = 0
    pv = ac = ZERO
    ev_seen: Decimal | None = None  # no EV is known before the first recorded point
    status_shown = False
    for day in days:
        while pi < len(planned_days) and planned_days[pi] <= day:
            pv += planned[planned_days[pi]]
            pi += 1
        if day >= status_date and status_shown:
            points.append(CurvePoint(day, pv, None, None))
            continue
        limit = min(day, status_date)
        while ci < len(cost_days) and cost_days[ci] <= limit:
            ac += daily_cost[cost_days[ci]]
            ci += 1
        if day >= status_date:
            status_shown = True
            points.append(CurvePoint(day, pv, ev_now, ac))
            continue
        while hi < len(earned_history) and earned_history[hi][0] <= day:
            ev_seen = earned_history[hi][1]
            hi += 1
        points.append(CurvePoint(day, pv, ev_seen, ac))
    return points


def _planned_increments(
    packages: Sequence[WorkPackage], workdays: WorkingDays | frozenset[int]
) -> dict[dt.date, Decimal]:
    """The planned value added on each day (one pass over the packages' days, so a weekly
    curve over two years of 2,000 packages costs the packages' days, not weeks × packages)."""
    out: dict[dt.date, Decimal] = {}
    one = dt.timedelta(days=1)
    workdays = _days_of(workdays)
    for p in packages:
        total = workdays.count(p.start, p.finish)
        if total == 0:
            out[p.finish] = out.get(p.finish, ZERO) + p.budget
            continue
        given = ZERO
        day = p.start
        done = 0
        while done < total:
            if workdays.is_working(day):
                done += 1
                # Cumulative cents, as planned_value rounds them: the curve and the table agree.
                upto = cents(p.budget * done / total) if done < total else p.budget
                out[day] = out.get(day, ZERO) + upto - given
                given = upto
            day += one
    return out
