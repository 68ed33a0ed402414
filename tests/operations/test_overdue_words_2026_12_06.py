"""Small words with big meaning: an overdue clock never reads "overdue by 0 min", and evidence
percentages round half up as people do."""

from __future__ import annotations

import pytest

from twofold.improvement.selectors import _pct
from twofold.operations.selectors import format_minutes


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (-0.3, "overdue by 1 min"),  # breached 18 s ago read "overdue by 0 min"
        (-1.0, "overdue by 1 min"),
        (-60.0, "overdue by 1 h"),
        (-60.2, "overdue by 1 h 1 min"),
        (0.3, "0 min"),
        (0.7, "1 min"),
        (125.0, "2 h 5 min"),
    ],
)
def test_business_time_words(minutes: float, words: str) -> None:
    assert format_minutes(minutes) == words


@pytest.mark.parametrize(
    ("share", "words"), [(0.625, "63 %"), (0.125, "13 %"), (0.5, "50 %"), (0.994, "99 %")]
)
def test_evidence_percentages_round_half_up(share: float, words: str) -> None:
    assert _pct(share) == words  # round() gave "62 %" and "12 %" (to the even neighbour)
