"""One capacity model: people's available hours against demand from four sources, per day.

Units: hours (floats) per calendar day; rows are people (index ``0..n-1``), columns are days
(index ``0..d-1`` from the window's first day). Nothing here knows about tasks or routines: the
callers turn those into :class:`Load` spans, one per source and person.

The four sources, and how a span of each is counted (the same rule the capacity view, the drill
into one cell, levelling and "can we take this on" use):

* **project** work and **routine** occurrences: ``hours`` in total, spread evenly over the
  *working days* of ``first..last`` (the organisation's weekdays minus its holidays). A span with
  no working day at all (a routine due on a Saturday) puts its hours on its first day;
* **request** work (a forecast): ``hours`` per working day of ``first..last`` (``daily=True``);
* **reservations**: a share (0-1) of each day's *available* hours (:func:`reserved_hours`), so a
  reservation never asks for time the person does not have.

Spans may start before or end after the window: they are spread over their whole span and
clipped to the window, so a week shows that week's part of a long task.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "CapacityInputError",
    "Fit",
    "Load",
    "Source",
    "added_overload",
    "earliest_fit",
    "free_hours",
    "reserved_hours",
    "spread",
    "spread_arrays",
    "weekly",
    "working_mask",
]

FloatArray = npt.NDArray[np.float64]
WEEKMASK = "1111100"
EPSILON = 1e-6


class CapacityInputError(ValueError):
    """An input the computation cannot use (an inverted span, a share outside 0-1...)."""


class Source(StrEnum):
    """Where demand comes from: one project side and three operations sides."""

    PROJECT = "project"
    ROUTINE = "routine"
    REQUEST = "request"
    RESERVATION = "reservation"

    @property
    def operational(self) -> bool:
        return self is not Source.PROJECT


@dataclass(frozen=True)
class Load:
    """Demand of one source on one person over ``first..last`` (day indices, both included).

    ``hours`` is the total over the span's working days, or per working day when ``daily``.
    """

    person: int
    first: int
    last: int
    hours: float
    daily: bool = False

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise CapacityInputError("A load cannot end before it starts.")
        if self.hours < 0:
            raise CapacityInputError("A load's hours cannot be negative.")


def working_mask(start: dt.date, days: int, holidays: Collection[dt.date] = ()) -> FloatArray:
    """1.0 on each working day (Monday to Friday, not a holiday) of ``days`` from ``start``."""
    first = np.datetime64(start, "D")
    dates = first + np.arange(days)
    marks = np.array(sorted(holidays), dtype="datetime64[D]") if holidays else None
    if marks is None:
        flags = np.is_busday(dates, weekmask=WEEKMASK)
    else:
        flags = np.is_busday(dates, weekmask=WEEKMASK, holidays=marks)
    mask: FloatArray = flags.astype(np.float64)
    return mask


def spread(
    loads: Sequence[Load], people: int, start: dt.date, days: int, holidays: Collection[dt.date]
) -> FloatArray:
    """Hours per person and day (``people × days``) of ``loads`` over the window from ``start``.

    Raises:
        CapacityInputError: a load names a person outside ``0..people-1``.
    """
    count = len(loads)
    return spread_arrays(
        np.fromiter((x.person for x in loads), dtype=np.int64, count=count),
        np.fromiter((x.first for x in loads), dtype=np.int64, count=count),
        np.fromiter((x.last for x in loads), dtype=np.int64, count=count),
        np.fromiter((x.hours for x in loads), dtype=np.float64, count=count),
        np.fromiter((x.daily for x in loads), dtype=bool, count=count),
        people,
        start,
        days,
        holidays,
    )


def spread_arrays(
    person: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    hours: FloatArray,
    daily: npt.NDArray[np.bool_],
    people: int,
    start: dt.date,
    days: int,
    holidays: Collection[dt.date],
) -> FloatArray:
    """:func:`spread` over arrays (one entry per load), for many loads at once.

    Raises:
        CapacityInputError: a person outside ``0..people-1``, a span that ends before it starts
            or negative hours.
    """
    out = np.zeros((people, days), dtype=np.float64)
    if not len(person) or days <= 0:
        return out
    if person.min() < 0 or person.max() >= people:
        raise CapacityInputError("A load names a person outside the rows.")
    if (last < first).any() or (hours < 0).any():
        raise CapacityInputError("A load ends before it starts or has negative hours.")
    origin = np.datetime64(start, "D")
    marks = np.array(sorted(holidays), dtype="datetime64[D]")
    count = np.busday_count(origin + first, origin + last + 1, weekmask=WEEKMASK, holidays=marks)
    rate = np.where(daily, hours, hours / np.maximum(count, 1))
    no_working_day = (count == 0) & ~daily
    # Spans over working days: a difference array per person, then the working-day mask.
    lo = np.clip(first, 0, days)
    hi = np.clip(last + 1, 0, days)
    inside = (lo < hi) & ~no_working_day
    diff = np.zeros((people, days + 1), dtype=np.float64)
    np.add.at(diff, (person[inside], lo[inside]), rate[inside])
    np.add.at(diff, (person[inside], hi[inside]), -rate[inside])
    out += np.cumsum(diff[:, :days], axis=1) * working_mask(start, days, holidays)[None, :]
    # A span without a working day: all of it on its first day.
    lone = no_working_day & (first >= 0) & (first < days)
    np.add.at(out, (person[lone], first[lone]), hours[lone])
    # Cumulative sums leave float dust where spans end: nothing is below zero.
    np.maximum(out, 0.0, out=out)
    return out


def reserved_hours(shares: FloatArray, available: FloatArray) -> FloatArray:
    """Hours reservations take: ``share × available`` per person and day (shares capped at 1).

    Raises:
        CapacityInputError: a share is negative or the shapes differ.
    """
    if shares.shape != available.shape:
        raise CapacityInputError("Shares and availability have different shapes.")
    if shares.size and shares.min() < 0:
        raise CapacityInputError("A reserved share cannot be negative.")
    reserved: FloatArray = np.minimum(shares, 1.0) * np.maximum(available, 0.0)
    return reserved


def free_hours(available: FloatArray, operational: FloatArray) -> FloatArray:
    """Hours left for project work: ``available - operational``, never below zero.

    This is what levelling plans against, so routines, request work and reservations are
    respected before any task is placed.
    """
    free: FloatArray = np.maximum(available - operational, 0.0)
    return free


def weekly(values: FloatArray) -> FloatArray:
    """Sums per 7 days along the last axis (the window starts on a Monday); a partial last
    week sums what it has."""
    days = values.shape[-1]
    weeks = -(-days // 7)
    padded = np.zeros((*values.shape[:-1], weeks * 7), dtype=np.float64)
    padded[..., :days] = values
    totals: FloatArray = padded.reshape(*values.shape[:-1], weeks, 7).sum(axis=-1)
    return totals


def added_overload(capacity: FloatArray, committed: FloatArray, extra: FloatArray) -> FloatArray:
    """The overload ``extra`` causes on top of ``committed`` (same shapes), cell by cell.

    ``max(0, committed + extra - capacity) - max(0, committed - capacity)``: a cell that was
    already over counts only what the extra work adds.
    """
    before = np.maximum(committed - capacity, 0.0)
    after = np.maximum(committed + extra - capacity, 0.0)
    added: FloatArray = after - before
    return added


@dataclass(frozen=True)
class Fit:
    """Where a proposal fits: ``offset`` columns after the first allowed one, or None."""

    offset: int | None
    overload: FloatArray  # the added overload at the earliest allowed offset (rows × columns)


def earliest_fit(
    capacity: FloatArray,
    committed: FloatArray,
    proposal: FloatArray,
    *,
    tolerance: float = 0.0,
) -> Fit:
    """The earliest shift of ``proposal`` at which it adds no overload anywhere.

    ``capacity`` and ``committed`` are ``rows × horizon`` (teams × weeks, say); ``proposal`` is
    ``rows × length``, its column 0 the proposal's first column. Shifts ``0..horizon-length``
    are searched all at once (a sliding window); at shift ``s`` the proposal's column ``j`` lands
    on column ``s + j``. It fits where, in every cell, ``proposal ≤ max(capacity - committed, 0)
    + tolerance``.

    Returns:
        :class:`Fit` with the smallest fitting shift (None when none fits in the horizon) and the
        added overload of a start at shift 0.

    Raises:
        CapacityInputError: the row counts differ or the proposal is longer than the horizon.
    """
    if capacity.shape != committed.shape:
        raise CapacityInputError("Capacity and committed demand have different shapes.")
    rows, horizon = capacity.shape
    if proposal.shape[0] != rows:
        raise CapacityInputError("The proposal has a different number of rows.")
    length = proposal.shape[1]
    if length > horizon:
        raise CapacityInputError("The proposal is longer than the horizon searched.")
    room = np.maximum(capacity - committed, 0.0) + tolerance + EPSILON
    at_start = np.zeros_like(capacity)
    at_start[:, :length] = proposal
    overload = added_overload(capacity, committed, at_start)
    if length == 0:
        return Fit(0, overload)
    windows = np.lib.stride_tricks.sliding_window_view(room, length, axis=1)
    # windows: rows × shifts × length; a shift fits when every cell has room.
    fits = np.all(windows >= proposal[:, None, :], axis=(0, 2))
    found = np.flatnonzero(fits)
    return Fit(int(found[0]) if found.size else None, overload)
