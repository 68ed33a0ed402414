"""The before/after decision on hand-made series, one per outcome, and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.improvement_check import (
    MIN_AFTER_POINTS,
    DecisionRule,
    Verdict,
    check_improvement,
)

# Lead time in days (lower is better): wobbling around 10 with moving ranges of 2.
BEFORE = [9.0, 11.0, 9.0, 11.0, 9.0, 11.0, 9.0, 11.0, 9.0, 11.0]


def test_eight_below_the_old_centre_confirm_a_lower_is_better_kpi() -> None:
    after = [8.0, 9.5, 8.5, 9.0, 8.0, 9.5, 8.5, 9.0]

    check = check_improvement(BEFORE, after, higher_is_better=False)

    assert check.verdict is Verdict.CONFIRMED
    assert check.rule is DecisionRule.RUN_ON_BETTER_SIDE
    assert check.run_length == 8
    assert check.before.centre_line == 10.0
    assert check.before.upper_limit == pytest.approx(15.32)
    assert check.before.lower_limit == pytest.approx(4.68)
    assert check.explanation == (
        "Improvement confirmed: 8 points in a row on the better side of the old centre line."
    )


def test_seven_points_are_not_yet_enough_and_say_one_more_is_needed() -> None:
    after = [8.0, 9.5, 8.5, 9.0, 8.0, 9.5, 8.5]

    check = check_improvement(BEFORE, after, higher_is_better=False)

    assert check.verdict is Verdict.NOT_YET
    assert check.points_needed == 1
    assert check.rule is None
    assert check.explanation == "Not yet: 7 points since go-live; 1 more needed to decide."


def test_no_after_point_needs_eight_and_has_no_new_limits() -> None:
    check = check_improvement(BEFORE, [], higher_is_better=True)

    assert (check.verdict, check.points_needed, check.after) == (Verdict.NOT_YET, 8, None)


def test_the_same_wobble_after_go_live_is_no_change() -> None:
    check = check_improvement(BEFORE, BEFORE, higher_is_better=False)

    assert check.verdict is Verdict.NO_CHANGE
    assert check.worse is False
    assert check.after is not None and check.after.centre_line == 10.0


def test_a_run_on_the_worse_side_is_no_change_marked_worse() -> None:
    after = [12.0, 11.0, 12.5, 11.5, 12.0, 11.0, 12.5, 11.5]

    check = check_improvement(BEFORE, after, higher_is_better=False)

    assert (check.verdict, check.worse) == (Verdict.NO_CHANGE, True)
    assert check.explanation.startswith("No improvement: 8 points in a row on the worse side")


def test_narrower_limits_around_the_same_centre_confirm_by_the_limits_rule() -> None:
    # Same centre (10), but the points alternate 9.75 / 10.25: far less variation.
    after = [9.75, 10.25] * 5

    check = check_improvement(BEFORE, after, higher_is_better=True)

    assert check.verdict is Verdict.CONFIRMED
    assert check.rule is DecisionRule.LIMITS_INSIDE
    assert check.after is not None
    assert check.after.upper_limit == pytest.approx(10 + 2.66 * 0.5)


def test_a_run_that_starts_before_go_live_counts_only_its_after_points() -> None:
    before = [9.0, 11.0, 9.0, 11.0, 12.0, 12.0, 12.0]  # centre 10.857...; ends above it
    after = [12.0] * 5

    check = check_improvement(before, after, higher_is_better=True)

    assert check.verdict is Verdict.NOT_YET
    assert check.points_needed == 3


def test_too_short_a_baseline_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        check_improvement([5.0], [1.0] * 8, higher_is_better=True)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(finite, min_size=2, max_size=20),
    after=st.lists(finite, min_size=0, max_size=20),
    higher=st.booleans(),
)
def test_mirroring_the_series_and_the_direction_gives_the_same_verdict(
    before: list[float], after: list[float], higher: bool
) -> None:
    check = check_improvement(before, after, higher_is_better=higher)
    mirrored = check_improvement(
        [-v for v in before], [-v for v in after], higher_is_better=not higher
    )

    assert (mirrored.verdict, mirrored.rule) == (check.verdict, check.rule)


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(finite, min_size=2, max_size=20),
    after=st.lists(finite, min_size=0, max_size=20),
    higher=st.booleans(),
)
def test_a_verdict_needs_eight_after_points_and_not_yet_counts_what_is_missing(
    before: list[float], after: list[float], higher: bool
) -> None:
    check = check_improvement(before, after, higher_is_better=higher)

    if len(after) < MIN_AFTER_POINTS:
        assert check.verdict is Verdict.NOT_YET
        assert check.points_needed == MIN_AFTER_POINTS - len(after)
    else:
        assert check.verdict is not Verdict.NOT_YET
        assert check.points_needed == 0
    if check.rule is DecisionRule.RUN_ON_BETTER_SIDE:
        assert check.run_length >= MIN_AFTER_POINTS


@settings(max_examples=100, deadline=None)
@given(
    before=st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=20),
    count=st.integers(min_value=MIN_AFTER_POINTS, max_value=20),
)
def test_every_after_point_beyond_the_best_before_point_confirms(
    before: list[float], count: int
) -> None:
    after = [max(before) + 1.0] * count

    check = check_improvement(before, after, higher_is_better=True)

    assert check.verdict is Verdict.CONFIRMED
    assert check.rule is DecisionRule.RUN_ON_BETTER_SIDE


def test_points_on_the_old_centre_line_are_no_improvement() -> None:
    """Every point since go-live on the old centre line (1.2, computed as 1.2000000000000002)
    was confirmed as "8 points in a row on the better side". No point is on either side; what
    confirms it now is the variation gone (limits inside the old ones, centre no worse)."""
    result = check_improvement([1.1, 1.3] * 4, [1.2] * 8, higher_is_better=False)
    assert (result.verdict, result.rule, result.run_length) == (
        Verdict.CONFIRMED,
        DecisionRule.LIMITS_INSIDE,
        0,
    )
    # The same points one step worse than the centre line: no run either way, not confirmed.
    worse = check_improvement([1.1, 1.3] * 4, [1.2, 1.3] * 4, higher_is_better=False)
    assert worse.rule is not DecisionRule.RUN_ON_BETTER_SIDE
