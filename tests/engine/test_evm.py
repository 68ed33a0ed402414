"""Earned value: a published worked example to the cent, and properties on random plans."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine import evm
from twofold.engine.evm import Metrics, WorkPackage

D = Decimal
ALL_DAYS = frozenset(range(1, 8))


def test_fence_example_reproduces_the_published_figures() -> None:
    """The four-sided fence, "Earned Value Exercise" (studylib.net/doc/5898152/earned-value-exercise,
    after R. Mulcahy, *PMP Exam Prep*, p. 210): each side takes one day and is budgeted
    $1,000, built one after the other; status at the end of day 3: side 1 complete for $1,000,
    side 2 complete for $1,200, side 3 half done for $600, side 4 not started.

    Published: PV 3,000; EV 2,500; AC 2,800; BAC 4,000; CV −300; CPI .893; SV −500; SPI .833;
    EAC 4,479; ETC 1,679; VAC −479. The sheet divides by CPI rounded to .893 (4,000 / .893 =
    4,479.28); the unrounded EAC is 4,000 × 2,800 / 2,500 = 4,480.00, which we report and
    check here to the cent, alongside the sheet's own rounding.
    """
    day1 = dt.date(2026, 3, 2)
    sides = [
        WorkPackage(
            uid=i + 1,
            budget=D("1000.00"),
            start=day1 + dt.timedelta(days=i),
            finish=day1 + dt.timedelta(days=i),
            percent_complete=pc,
        )
        for i, pc in enumerate([100, 100, 50, 0])
    ]
    status = day1 + dt.timedelta(days=2)  # end of day 3
    m = evm.metrics(sides, status, actual_cost=D("1000") + D("1200") + D("600"), workdays=ALL_DAYS)

    assert (m.pv, m.ev, m.ac, m.bac) == (D("3000.00"), D("2500.00"), D("2800"), D("4000.00"))
    assert m.cv == D("-300.00")
    assert m.sv == D("-500.00")
    assert m.cpi is not None and m.spi is not None
    assert round(m.cpi, 3) == D("0.893")
    assert round(m.spi, 3) == D("0.833")
    assert m.eac == D("4480.00")
    assert m.etc == D("1680.00")
    assert m.vac == D("-480.00")
    # The sheet's figures come from dividing by the rounded CPI.
    assert evm.cents(m.bac / round(m.cpi, 3)) == D("4479.28")
    assert int(m.bac / round(m.cpi, 3)) == 4479
    # The other two EAC formulas and TCPI on the same status.
    assert m.eac_atypical == D("4300.00")  # 2,800 + (4,000 − 2,500)
    assert m.eac_cpi_spi == D("4816.00")  # 2,800 + 1,500 / (0.893 × 0.833) unrounded
    assert m.tcpi == D("1.25")  # 1,500 / 1,200


def test_pmzilla_atypical_eac_and_vac() -> None:
    """pmzilla.com "Calculating VAC": BAC 500, PV 500, AC 200, EV 300, variances atypical:
    EAC = AC + (BAC − EV) = 400 and VAC = 100; CPI 1.5 as stated."""
    m = Metrics(bac=D(500), pv=D(500), ev=D(300), ac=D(200))
    assert m.eac_atypical == D("400.00")
    assert m.bac - m.eac_atypical == D("100.00")
    assert m.cpi == D("1.5")


def test_planned_value_spreads_over_working_days() -> None:
    p = WorkPackage(uid=1, budget=D("900"), start=dt.date(2026, 3, 6), finish=dt.date(2026, 3, 10))
    # Fri, (Sat, Sun), Mon, Tue: three working days of 300.
    assert evm.planned_value(p, dt.date(2026, 3, 5)) == 0
    assert evm.planned_value(p, dt.date(2026, 3, 6)) == D(300)
    assert evm.planned_value(p, dt.date(2026, 3, 8)) == D(300)
    assert evm.planned_value(p, dt.date(2026, 3, 9)) == D(600)
    assert evm.planned_value(p, dt.date(2026, 3, 10)) == D(900)


def test_no_cost_yet_gives_no_cpi_and_the_atypical_eac() -> None:
    m = Metrics(bac=D(100), pv=D(0), ev=D(0), ac=D(0))
    assert m.cpi is None and m.spi is None and m.eac_cpi is None and m.eac_cpi_spi is None
    assert m.eac == D("100.00") and m.etc == D("100.00") and m.vac == D("0.00")


def test_s_curve_cumulates_and_stops_actuals_at_the_status_date() -> None:
    p = WorkPackage(
        uid=1,
        budget=D("1000"),
        start=dt.date(2026, 3, 2),
        finish=dt.date(2026, 3, 13),
        percent_complete=40,
    )
    weeks = evm.week_ends(dt.date(2026, 3, 2), dt.date(2026, 3, 13))
    assert weeks == [dt.date(2026, 3, 8), dt.date(2026, 3, 15)]
    cost = {dt.date(2026, 3, 3): D("250"), dt.date(2026, 3, 10): D("999")}
    points = evm.s_curve([p], weeks, dt.date(2026, 3, 6), cost, [(dt.date(2026, 3, 4), D(100))])
    assert points[0] == evm.CurvePoint(dt.date(2026, 3, 8), D("500"), D("400"), D("250"))
    assert points[1] == evm.CurvePoint(dt.date(2026, 3, 15), D("1000"), None, None)


budgets = st.decimals(min_value=0, max_value=100000, places=2)
packages = st.lists(
    st.tuples(
        budgets, st.integers(0, 60), st.integers(0, 30), st.integers(0, 100), st.integers(0, 3)
    ),
    min_size=1,
    max_size=12,
)
START = dt.date(2026, 1, 5)


def _plan(rows: list[tuple[Decimal, int, int, int, int]]) -> list[WorkPackage]:
    return [
        WorkPackage(
            uid=i,
            budget=b,
            start=START + dt.timedelta(days=s),
            finish=START + dt.timedelta(days=s + d),
            percent_complete=pc,
            account=acc,
        )
        for i, (b, s, d, pc, acc) in enumerate(rows)
    ]


@settings(max_examples=30, deadline=None)
@given(packages, st.integers(-5, 100), st.decimals(min_value=0, max_value=500000, places=2))
def test_indices_are_their_ratios_and_forecasts_their_formulas(rows, offset, ac) -> None:
    plan = _plan(rows)
    m = evm.metrics(plan, START + dt.timedelta(days=offset), ac)
    assert m.bac == sum(p.budget for p in plan)
    assert 0 <= m.pv <= m.bac and 0 <= m.ev <= m.bac
    assert m.sv == m.ev - m.pv and m.cv == m.ev - m.ac
    assert m.spi == (m.ev / m.pv if m.pv else None)
    assert m.cpi == (m.ev / m.ac if m.ac else None)
    assert m.eac_atypical == evm.cents(m.ac + m.bac - m.ev)
    if m.cpi:
        assert m.eac == evm.cents(m.bac / m.cpi)
    assert m.etc == evm.cents(m.eac - m.ac) and m.vac == evm.cents(m.bac - m.eac)


@settings(max_examples=30, deadline=None)
@given(
    packages, st.integers(-5, 100), st.lists(st.decimals(0, 9999, places=2), min_size=4, max_size=4)
)
def test_roll_ups_equal_the_sum_of_their_parts(rows, offset, costs) -> None:
    plan = _plan(rows)
    status = START + dt.timedelta(days=offset)
    accounts = evm.by_account(plan, status, dict(enumerate(costs)))
    whole = evm.metrics(plan, status, sum(costs, D(0)))
    total = evm.roll_up(accounts.values())
    assert (total.bac, total.pv, total.ev, total.ac) == (whole.bac, whole.pv, whole.ev, whole.ac)
    # A portfolio of two projects is the sum of both.
    both = evm.roll_up([total, whole])
    assert both.pv == 2 * whole.pv and both.ac == 2 * whole.ac


@settings(max_examples=25, deadline=None)
@given(packages, st.integers(0, 100))
def test_the_weekly_curve_ends_at_bac_and_matches_pv_on_each_week(rows, offset) -> None:
    plan = _plan(rows)
    first = min(p.start for p in plan)
    last = max(p.finish for p in plan)
    weeks = evm.week_ends(first, last)
    status = START + dt.timedelta(days=offset)
    points = evm.s_curve(plan, weeks, status, {})
    assert points[-1].pv == sum(p.budget for p in plan)
    for point in points:
        assert point.pv == evm.metrics(plan, point.day).pv
    assert all(a.pv <= b.pv for a, b in itertools.pairwise(points))


def test_planned_value_follows_the_project_calendar_holidays() -> None:
    """PV assumed Monday to Friday whatever the calendar: a package over Christmas with four
    holidays spread its budget over 12 days where the calendar works 8 (a review measured
    1,973.33 planned on 28 Dec where 1,184 is right)."""
    days = evm.WorkingDays(
        off=(
            dt.date(2026, 12, 24),
            dt.date(2026, 12, 25),
            dt.date(2026, 12, 28),
            dt.date(2027, 1, 1),
        )
    )
    p = WorkPackage(1, Decimal("4736"), dt.date(2026, 12, 22), dt.date(2027, 1, 6))
    assert days.count(p.start, p.finish) == 8
    assert evm.planned_value(p, dt.date(2026, 12, 28), days) == Decimal("1184.00")  # 2 / 8
    assert evm.planned_value(p, dt.date(2027, 1, 1), days) == Decimal("2960.00")  # 5 / 8
    assert evm.planned_value(p, dt.date(2026, 12, 28)) == Decimal("1973.33")  # Mon-Fri: 5 / 12
    # A working Saturday counts; the S-curve's daily steps add up to the same PV.
    saturday = evm.WorkingDays(on=(dt.date(2026, 12, 26),), off=days.off)
    assert saturday.count(p.start, p.finish) == 9
    curve = evm.s_curve(
        [p],
        [dt.date(2026, 12, 26), dt.date(2027, 1, 6)],
        dt.date(2026, 12, 20),
        {},
        workdays=saturday,
    )
    assert (
        curve[0].pv == evm.planned_value(p, dt.date(2026, 12, 26), saturday) == Decimal("1578.67")
    )
    assert curve[1].pv == Decimal("4736")


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    span=st.integers(0, 60),
    off=st.sets(st.integers(0, 60), max_size=10),
    on=st.sets(st.integers(0, 60), max_size=5),
    weekdays=st.sets(st.integers(1, 7), min_size=1),
)
def test_working_days_count_is_the_days_it_works(
    start: dt.date, span: int, off: set[int], on: set[int], weekdays: set[int]
) -> None:
    base = start - dt.timedelta(days=5)
    days = evm.WorkingDays(
        frozenset(weekdays),
        tuple(sorted(base + dt.timedelta(days=d) for d in off)),
        tuple(sorted(base + dt.timedelta(days=d) for d in on if d not in off)),
    )
    last = start + dt.timedelta(days=span)
    walk = [start + dt.timedelta(days=i) for i in range(span + 1)]
    assert days.count(start, last) == sum(
        (d.isoweekday() in weekdays and d not in days.off) or d in days.on for d in walk
    )
    assert [days.is_working(d) for d in walk] == [
        bool((d.isoweekday() in weekdays and d not in days.off) or d in days.on) for d in walk
    ]


def test_weeks_end_on_the_day_before_the_organisation_starts_them() -> None:
    """The S-curve's weeks always ended on Sundays, whatever the organisation's first weekday."""
    first, last = dt.date(2026, 3, 4), dt.date(2026, 3, 16)  # a Wednesday, a Monday
    assert evm.week_ends(first, last) == [
        dt.date(2026, 3, 8), dt.date(2026, 3, 15), dt.date(2026, 3, 22),
    ]  # fmt: skip
    assert evm.week_ends(first, last, week_start=6) == [  # Sunday-first weeks: Saturdays
        dt.date(2026, 3, 7), dt.date(2026, 3, 14), dt.date(2026, 3, 21),
    ]  # fmt: skip
    assert evm.week_ends(first, last, week_start=5) == [  # Saturday-first weeks: Fridays
        dt.date(2026, 3, 6), dt.date(2026, 3, 13), dt.date(2026, 3, 20),
    ]  # fmt: skip


def test_forecasts_on_a_tiny_ev_against_a_large_bac_are_exact() -> None:
    """cents() quantized in the 28-digit context: EAC = BAC / CPI and AC + (BAC − EV) /
    (CPI × SPI) on a cent earned of 100 million (or 100 trillion) raised InvalidOperation."""
    m = Metrics(
        bac=Decimal("100000000.00"),
        pv=Decimal("100000000.00"),
        ev=Decimal("0.01"),
        ac=Decimal("100000000.00"),
    )
    assert m.eac_cpi == Decimal("1000000000000000000.00")
    assert m.eac_cpi_spi == Decimal("9999999999000000000100000000.00")
    big = Metrics(bac=Decimal("1E14"), pv=Decimal("1E14"), ev=Decimal("0.01"), ac=Decimal("1E14"))
    assert big.eac_cpi == big.eac == Decimal("1" + "0" * 30 + ".00")
    assert big.etc == big.eac - big.ac
    assert big.vac == big.bac - big.eac
    assert evm.cents(Decimal("123456789012345678901234567890.125")) == Decimal(
        "123456789012345678901234567890.13"
    )
