"""The "are you sure?" questions for new KPI values, without a database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from twofold.engine.plausibility import ConcernKind, concerns_for, reference_from

TODAY = dt.date(2026, 3, 2)
HISTORY = [2.8, 3.1, 2.6, 2.9, 3.3, 2.7, 3.0, 2.8]  # a scrap rate in %


def kinds(day: dt.date, value: float, history=HISTORY, new=(), spreads=1.0) -> list[str]:
    ref = reference_from(history, [value, *new])
    return [
        c.kind.value for c in concerns_for(day, value, today=TODAY, reference=ref, spreads=spreads)
    ]


def test_a_usual_value_asks_nothing():
    assert kinds(TODAY, 3.2) == []


def test_minus_999_dated_2030_asks_about_the_date_and_the_range():
    ref = reference_from(HISTORY)
    found = concerns_for(dt.date(2030, 1, 1), -999, today=TODAY, reference=ref, spreads=1.0)
    assert [c.kind for c in found] == [ConcernKind.FUTURE_DATE, ConcernKind.OUT_OF_RANGE]
    assert (found[1].low, found[1].high) == (2.6, 3.3)
    # spread = the natural process limits' width = 2 x 2.66 x the average moving range
    ranges = [abs(b - a) for a, b in itertools.pairwise(HISTORY)]
    assert found[1].spread == pytest.approx(2 * 2.66 * sum(ranges) / len(ranges))


def test_a_fraction_for_a_percentage_is_a_unit_mix_up():
    ref = reference_from(HISTORY)
    found = concerns_for(TODAY, 0.028, today=TODAY, reference=ref, spreads=1.0)
    assert [(c.kind, c.factor, c.level) for c in found] == [
        (ConcernKind.UNIT_SCALE, 0.01, pytest.approx(2.85))
    ]
    assert kinds(TODAY, 285) == ["unit_scale"]  # 100x: the range question is not asked too


def test_the_margin_is_a_multiple_of_the_spread():
    spread = reference_from(HISTORY).spread
    just_inside = 3.3 + spread * 0.99
    assert kinds(TODAY, just_inside) == []
    assert kinds(TODAY, 3.3 + spread * 1.01) == ["out_of_range"]
    assert kinds(TODAY, 3.3 + spread * 1.01, spreads=2.0) == []


def test_little_history_judges_only_the_date():
    assert reference_from([2.8, 3.0]) is None
    assert kinds(dt.date(2030, 1, 1), -999, history=[2.8, 3.0]) == ["future_date"]


def test_a_first_import_is_judged_against_itself_and_one_wild_row_is_caught():
    rows = [2.8, 3.1, 2.6, -999.0, 2.9, 3.3, 2.7]
    ref = reference_from([], rows)
    assert ref is not None and ref.pooled
    flagged = [v for v in rows if concerns_for(TODAY, v, today=TODAY, reference=ref, spreads=1.0)]
    assert flagged == [-999.0]


def test_spreads_must_be_positive():
    with pytest.raises(ValueError, match="spreads must be positive"):
        concerns_for(TODAY, 1.0, today=TODAY, reference=None, spreads=0)
