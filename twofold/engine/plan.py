"""The plan model the scheduler reads: tasks, links, calendars, progress.

Inputs are frozen dataclasses; the application maps its rows onto them in one adapter and calls
:func:`twofold.engine.cpm.schedule`. Units, everywhere in this module:

* durations and working-time lags: integer **working seconds** on the task's calendar
  (``Duration(3, DurationUnit.DAYS).to_seconds(settings)`` converts user units);
* elapsed durations and lags: integer **elapsed seconds** (flag ``*_elapsed``/``LagKind.ELAPSED``);
* percent lags: integer percent of the predecessor's duration;
* date-times: naive local date-times (Microsoft Project is time-zone free).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from twofold.engine.calendars import CalendarSpec
from twofold.engine.durations import DEFAULT_SETTINGS, DurationSettings


class LinkType(enum.Enum):
    """Dependency type: which end of the predecessor drives which end of the successor."""

    FS = "FS"  # successor starts after predecessor finishes
    SS = "SS"  # successor starts after predecessor starts
    FF = "FF"  # successor finishes after predecessor finishes
    SF = "SF"  # successor finishes after predecessor starts


class LagKind(enum.Enum):
    """How a link's lag is counted."""

    WORKING = "working"  # working seconds on the successor's calendar
    ELAPSED = "elapsed"  # wall-clock seconds
    PERCENT = "percent"  # percent of the predecessor's duration, in working time


class ConstraintType(enum.Enum):
    """Date constraints, as in Microsoft Project."""

    ASAP = "as_soon_as_possible"
    ALAP = "as_late_as_possible"
    SNET = "start_no_earlier_than"
    SNLT = "start_no_later_than"
    FNET = "finish_no_earlier_than"
    FNLT = "finish_no_later_than"
    MSO = "must_start_on"
    MFO = "must_finish_on"


@dataclass(frozen=True, slots=True)
class Split:
    """One interruption of a split task: ``seconds`` of working time during which the task
    does no work, after ``at`` working seconds of its work (0 < ``at`` < the duration)."""

    at: int
    seconds: int


@dataclass(frozen=True, slots=True)
class ResourceSpan:
    """One resource's share of a task: ``work_seconds`` of working time on ``calendar``.

    ``work_seconds`` is the assignment's work divided by its units (8 h of work at 50 % is
    16 working hours). A task with spans finishes when its last span finishes and starts when
    its first span starts, each span following its own resource calendar.
    """

    calendar: str
    work_seconds: int


@dataclass(frozen=True, slots=True)
class Task:
    """One task (a leaf activity, or a summary if other tasks name it as ``parent``).

    Attributes:
        uid: unique id within the plan.
        name: display name (used in error messages).
        parent: uid of the summary task above this one in the WBS, or ``None``.
        duration: working seconds (elapsed seconds if ``duration_elapsed``); 0 is a milestone.
        duration_elapsed: the duration counts wall-clock time.
        calendar: key of the task calendar in :attr:`Plan.calendars`; ``None`` = project's.
        constraint, constraint_date: date constraint (the date is required unless ASAP/ALAP).
        deadline: a late-finish limit that creates negative float when missed, moves nothing.
        manual: manually scheduled; ``start``/``finish`` are kept as given.
        start, finish: the user's dates for a manual task (ignored otherwise).
        actual_start, actual_finish: progress; a task with an actual finish is done.
        remaining_duration: working seconds left for a started task (``None`` derives it from
            ``percent_complete``).
        percent_complete: 0-100, used when ``remaining_duration`` is ``None``.
        resource_spans: resource-driven parts (see :class:`ResourceSpan`).
        split_seconds: working seconds of interruptions inside the task (a split task), when
            where they sit is not known.
        splits: the interruptions by position (:class:`Split`); they replace ``split_seconds``
            and decide which pauses lie in the remaining part of a started task.
    """

    uid: int
    name: str = ""
    parent: int | None = None
    duration: int = 0
    duration_elapsed: bool = False
    calendar: str | None = None
    constraint: ConstraintType = ConstraintType.ASAP
    constraint_date: datetime | None = None
    deadline: datetime | None = None
    manual: bool = False
    start: datetime | None = None
    finish: datetime | None = None
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    remaining_duration: int | None = None
    percent_complete: float = 0.0
    resource_spans: tuple[ResourceSpan, ...] = ()
    split_seconds: int = 0
    splits: tuple[Split, ...] = ()

    def __post_init__(self) -> None:
        if (
            self.duration < 0
            or self.split_seconds < 0
            or any(s.at < 0 or s.seconds < 0 for s in self.splits)
        ):
            raise ValueError(f"task {self.uid}: negative duration")
        needs_date = self.constraint not in (ConstraintType.ASAP, ConstraintType.ALAP)
        if needs_date and self.constraint_date is None:
            raise ValueError(f"task {self.uid}: {self.constraint.value} needs a constraint date")
        if self.manual and (self.start is None or self.finish is None):
            raise ValueError(f"task {self.uid}: a manual task needs start and finish")


@dataclass(frozen=True, slots=True)
class Link:
    """Dependency ``pred`` -> ``succ`` of a type, with a lag (negative lag = lead).

    ``lag`` is working seconds, elapsed seconds, or percent of the predecessor's duration, per
    ``lag_kind``.
    """

    pred: int
    succ: int
    type: LinkType = LinkType.FS
    lag: int = 0
    lag_kind: LagKind = LagKind.WORKING


@dataclass(frozen=True)
class Plan:
    """A whole plan, scheduled forward from ``start``.

    Attributes:
        start: project start date-time.
        tasks: the tasks; summaries are the tasks other tasks name as parent.
        links: dependencies between tasks (links to a summary apply to all its tasks).
        calendars: calendar key to specification.
        calendar: key of the project calendar (default for tasks without their own).
        status_date: with ``reschedule_after_status``, work not yet done is not scheduled
            before this date.
        reschedule_after_status: move remaining and unstarted work after ``status_date``.
        honor_constraints: "start/finish no later than" constraints win over links (Microsoft
            Project's default); if False they only produce negative float.
        retained_logic: the rule for out-of-sequence progress (a task started before its
            predecessors allow). ``False`` is *progress override* (Microsoft Project's
            behaviour and Primavera's option): the remaining work continues from where the done
            part ends, ignoring the links. ``True`` is *retained logic* (Primavera's default):
            the remaining work waits for what the links require (after an unfinished FS
            predecessor, for instance), and an FF link still bounds the finish.
        settings: minutes per day/week, days per month.
    """

    start: datetime
    tasks: tuple[Task, ...]
    links: tuple[Link, ...] = ()
    calendars: Mapping[str, CalendarSpec] = field(
        default_factory=lambda: {"Standard": CalendarSpec()}
    )
    calendar: str = "Standard"
    status_date: datetime | None = None
    reschedule_after_status: bool = False
    honor_constraints: bool = True
    retained_logic: bool = False
    settings: DurationSettings = DEFAULT_SETTINGS
    name: str = ""
