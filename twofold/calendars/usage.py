"""Who schedules on calendars: the apps above register here, so a calendar change can
reschedule their work without ``calendars`` importing them (it sits below projects and
operations). Projects registers in ``ProjectsConfig.ready``, operations (routines whose shift
reads the calendar: their coming occurrences are made again) in ``OperationsConfig.ready``;
SLA clocks read the calendar when they compute, so they need no rescheduling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[..., bool]


@dataclass
class Moved:
    """What a reschedule after a calendar change moved."""

    projects: int = 0
    tasks: int = 0
    lines: list[str] = field(default_factory=list)
    """One line per project whose finish moved, e.g. "Line 3 retrofit: finish 3 Mar → 5 Mar"."""
    skipped: list[str] = field(default_factory=list)
    """Projects left as they were because the job was cancelled before them."""
    routines: int = 0
    """Routines whose coming occurrences were made again (their shift reads the calendar)."""

    def add(self, other: Moved) -> None:
        self.projects += other.projects
        self.tasks += other.tasks
        self.routines += other.routines
        self.lines.extend(other.lines)
        self.skipped.extend(other.skipped)

    @property
    def summary(self) -> str:
        if self.skipped:
            names = ", ".join(self.skipped[:5]) + (
                f" and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
            )
            done = f"{self.projects} rescheduled before the cancel" if self.projects else "none"
            return (
                f"Cancelled: {len(self.skipped)} project{'s' if len(self.skipped) != 1 else ''} "
                f"not rescheduled on the changed calendar ({names}); {done}. "
                "Save the calendar again, or edit each project, to reschedule them."
            )
        routines = (
            f" {self.routines} routine{'s' if self.routines != 1 else ''}' coming occurrences "
            "made again on it."
            if self.routines
            else ""
        )
        if not self.projects:
            return "No project uses this calendar: nothing to reschedule." + routines
        text = (
            f"{self.projects} project{'s' if self.projects != 1 else ''} rescheduled, "
            f"{self.tasks} task{'s' if self.tasks != 1 else ''} moved"
        )
        if self.lines:
            text += "; " + "; ".join(self.lines[:5])
            if len(self.lines) > 5:
                text += f"; and {len(self.lines) - 5} more"
        return text + "." + routines

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "projects": self.projects,
            "tasks": self.tasks,
            "lines": self.lines,
            "routines": self.routines,
        }
        if self.skipped:
            # A cancelled run: the job ends "cancelled" (core.jobs.stopped_early), not succeeded.
            out.update(skipped=self.skipped, stopped_early=True)
        return out


@dataclass(frozen=True)
class CalendarUser:
    """An app that schedules work on calendars.

    ``size(calendar_ids, default_included)`` counts the work to reschedule (tasks), so the
    service can choose a background job for large changes; ``reschedule(actor, calendar_ids,
    default_included, reason, progress)`` reschedules it and records history.
    """

    name: str
    size: Callable[[int, Sequence[int], bool], int]
    reschedule: Callable[[Any, int, Sequence[int], bool, str, Progress | None], Moved]


_USERS: dict[str, CalendarUser] = {}


def register(user: CalendarUser) -> None:
    _USERS[user.name] = user


def users() -> list[CalendarUser]:
    return list(_USERS.values())
