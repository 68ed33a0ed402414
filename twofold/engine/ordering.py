"""Fractional-index ordering keys: strings that sort between any two neighbours.

A key is a non-empty string of base-62 digits (``0-9A-Za-z``, in ASCII order) read as a fraction
``0.d1d2d3...``; it never ends with ``0`` so every fraction has exactly one key. Between any two
keys there is always another, so moving an item writes one row and nothing is ever renumbered.

* :func:`key_between` ``(a, b)`` — a key strictly between ``a`` and ``b`` (``None`` = open end).
* Appending (``b is None``) increments a digit instead of halving the gap, so keys grow by one
  character every ~61 appends; prepending and inserting between halve the gap.
* :func:`keys_between` — ``n`` evenly spread keys (bulk inserts, demo data, rebalancing).
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
    """``n`` sorted keys strictly between ``a`` and ``b`` (``None`` = open end), evenly spread.

    The keys are ``n`` equally spaced fractions of the gap at the shortest width that leaves
    about :data:`ROOM` free keys between neighbours, so 1,000 cards get three-character keys
    and later moves between neighbours stay short too. (Appending one key at a time instead
    grows keys by a character every ~61 keys: 17 characters for 1,000.)

    Raises:
        ValueError: if a key is invalid or ``a >= b``.
    """
    if n <= 0:
        return []
    _check(a, "a")
    _check(b, "b")
    if a is not None and b is not None and a >= b:
        raise ValueError(f"ordering keys out of order: {a!r} >= {b!r}")
    width = max(len(a or ""), len(b or ""), 1)
    while True:
        low = _scaled(a, width) if a is not None else 0
        high = _scaled(b, width) if b is not None else BASE**width
        if high - low > (n + 1) * ROOM:
            break
        width += 1
    gap = high - low
    return [_key_of(low + i * gap // (n + 1), width) for i in range(1, n + 1)]


ROOM = BASE  # free keys wanted between two neighbours made by keys_between


def _scaled(key: str, width: int) -> int:
    """``key`` as the integer ``fraction * BASE**width`` (``width >= len(key)``)."""
    value = 0
    for c in key.ljust(width, "0"):
        value = value * BASE + _INDEX[c]
    return value


def _key_of(value: int, width: int) -> str:
    """The key of the fraction ``value / BASE**width`` (``0 < value < BASE**width``)."""
    digits = []
    for _ in range(width):
        value, digit = divmod(value, BASE)
        digits.append(DIGITS[digit])
    return "".join(reversed(digits)).rstrip("0")
