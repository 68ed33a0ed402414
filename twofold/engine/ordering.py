"""Fractional-index ordering keys: strings that sort between any two neighbours.

A key is a non-empty string of base-62 digits (``0-9A-Za-z``, in ASCII order) read as a fraction
``0.d1d2d3...``; it never ends with ``0`` so every fraction has exactly one key. Between any two
keys there is always another, so moving an item writes one row and nothing is ever renumbered.

* :func:`key_between` ``(a, b)`` — a key strictly between ``a`` and ``b`` (``None`` = open end).
* Appending (``b is None``) increments a digit instead of halving the gap, so keys grow by one
  character every ~61 appends; prepending and inserting between halve the gap.
* :func:`keys_between` — ``n`` evenly spread keys (bulk inserts, demo data).
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
_INDEX = {c: i for i, c in enumerate(DIGITS)}


def is_valid_key(key: str) -> bool:
    """True for a non-empty string of base-62 digits that does not end with ``0``."""
    return bool(key) and all(c in _INDEX for c in key) and key[-1] != "0"


def _check(key: str | None, name: str) -> None:
    if key is not None and not is_valid_key(key):
        raise ValueError(f"invalid ordering key {name}={key!r}")


def _midpoint(a: str, b: str | None) -> str:
    """A key strictly between fractions ``a`` (may be "") and ``b`` (``None`` = 1)."""
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    da = _INDEX[a[0]] if a else 0
    db = _INDEX[b[0]] if b is not None else BASE
    if db - da > 1:
        return DIGITS[(da + db) // 2]
    if b is not None and len(b) > 1:
        return b[0]
    return DIGITS[da] + _midpoint(a[1:], None)


def _after(a: str) -> str:
    """A short key greater than ``a``: increment the first digit that is not the last digit."""
    for i, c in enumerate(a):
        if c != DIGITS[-1]:
            return a[:i] + DIGITS[_INDEX[c] + 1]
    return a + DIGITS[1]


def key_between(a: str | None, b: str | None) -> str:
    """A key that sorts strictly after ``a`` and before ``b`` (either may be ``None``).

    Raises:
        ValueError: if a key is invalid or ``a >= b``.
    """
    _check(a, "a")
    _check(b, "b")
    if a is not None and b is not None and a >= b:
        raise ValueError(f"ordering keys out of order: {a!r} >= {b!r}")
    if b is None:
        return _after(a) if a is not None else DIGITS[BASE // 2]
    return _midpoint(a or "", b)


def keys_between(a: str | None, b: str | None, n: int) -> list[str]:
    """``n`` sorted keys strictly between ``a`` and ``b``, spread so that none is needlessly long."""
    if n <= 0:
        return []
    if b is None:
        keys: list[str] = []
        last = a
        for _ in range(n):
            last = key_between(last, None)
            keys.append(last)
        return keys
    mid = key_between(a, b)
    left = (n - 1) // 2
    return [*keys_between(a, mid, left), mid, *keys_between(mid, b, n - 1 - left)]
