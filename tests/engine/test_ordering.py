"""Ordering keys: always strictly between neighbours, never renumbered, short when appending."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twofold.engine.ordering import is_valid_key, key_between, keys_between


def test_first_key_and_neighbours():
    assert key_between(None, None) == "V"
    assert key_between("V", None) == "W"
    assert key_between(None, "V") == "F"
    assert key_between("a", "b") == "aV"
    assert key_between("1", "2") == "1V"
    assert key_between(None, "1") == "0V"
    assert key_between("z", None) == "z1"


@pytest.mark.parametrize(
    ("a", "b"), [("b", "a"), ("a", "a"), ("a0", None), ("", "a"), ("a!", None)]
)
def test_bad_keys_are_refused(a, b):
    with pytest.raises(ValueError, match="ordering key"):
        key_between(a, b)


def test_spread_keys_stay_short_whatever_the_count():
    # 2,000 cards fit in three characters with ~62 free keys between neighbours; appending one
    # key at a time instead reached 17 characters at 1,000 (a rebalanced board of 1,000 cards
    # was over the 16-character bound at once and rebalanced again on every move to its end).
    for count, width in ((1, 1), (30, 1), (2_000, 3), (200_000, 4)):
        keys = keys_between(None, None, count)
        assert keys == sorted(keys) and len(set(keys)) == count
        assert all(is_valid_key(k) for k in keys)
        assert max(len(k) for k in keys) == width
    assert keys_between(None, None, 1) == ["V"]
    assert keys_between(None, None, 3) == ["FV", "V", "kV"]
    tail = keys_between("zz", None, 500)
    assert all(k > "zz" for k in tail) and max(len(k) for k in tail) == 5
    head = keys_between(None, "01", 5)
    assert all(k < "01" and is_valid_key(k) for k in head) and head == sorted(head)


def test_keys_between_are_sorted_and_inside():
    keys = keys_between("a", "b", 100)
    assert keys == sorted(keys) and all("a" < k < "b" for k in keys) and len(set(keys)) == 100
    assert max(len(k) for k in keys) <= 4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=120))
def test_random_inserts_keep_a_strict_order(positions):
    keys: list[str] = []
    for p in positions:
        i = p % (len(keys) + 1)
        before = keys[i - 1] if i > 0 else None
        after = keys[i] if i < len(keys) else None
        new = key_between(before, after)
        assert is_valid_key(new)
        assert (before is None or before < new) and (after is None or new < after)
        keys.insert(i, new)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        min_size=1,
        max_size=8,
    ),
    st.text(
        alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        min_size=1,
        max_size=8,
    ),
)
def test_between_any_two_valid_keys(a, b):
    a, b = a.rstrip("0") or "1", b.rstrip("0") or "1"
    if a == b:
        return
    lo, hi = min(a, b), max(a, b)
    mid = key_between(lo, hi)
    assert lo < mid < hi and is_valid_key(mid)
