"""Microsoft Project XML (MSPDI) import and export.

:func:`read_mspdi` turns a file into an :class:`MspdiDocument`: the schedulable
:class:`~twofold.engine.plan.Plan` plus what the plan does not need (resources, assignments,
baselines, the dates Project stored). :func:`write_mspdi` writes a document back; reading the
output gives the same plan.

The importer is tolerant where the schedule does not need the data: a malformed timestamp in
timephased data or a baseline, a calendar with no working time that no task or work resource
uses, a link or assignment to a task that is not in the file, a missing project start date...
are skipped or repaired, and every such repair is listed in :attr:`MspdiDocument.repairs`
(element and what was done). What the schedule needs and cannot be repaired (a task's duration,
the project calendar) raises :class:`MspdiError` with one clear message.

Parsing refuses any DTD before the tree is built: the prolog (everything before the root element,
the only place a ``<!DOCTYPE>`` may stand) is read first by an expat parser that stops at a
document type, entity or notation declaration, so a hostile file (billion laughs, XXE, external
DTDs) raises :class:`MspdiError` and nothing is imported. A document without a DTD cannot
declare entities (a reference to an undeclared one is a parse error), so the tree itself is then
built by the C parser of ``xml.etree`` (``defusedxml``'s pure-Python parser took ~60 % of the
read of a 10,000-task file). Files above :data:`MAX_BYTES` are refused unread. Units:
MSPDI durations are ISO 8601 (``PT8H0M0S``) and lags tenths of a minute; the plan holds seconds.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from twofold.engine.calendars import (
    HORIZON_END,
    HORIZON_START,
    CalendarRangeError,
    CalendarSpec,
    NoWorkingTimeError,
    compile_calendar,
    from_instant,
    to_instant,
)
from twofold.engine.cpm import ScheduleResult
from twofold.engine.durations import DurationSettings
from twofold.engine.plan import (
    ConstraintType,
    LagKind,
    Link,
    LinkType,
    Plan,
    ResourceSpan,
    Split,
    Task,
)
from twofold.interop.mspdi_calendars import NS, Q, read_calendars, write_calendars
from twofold.interop.xmltext import xml_text

MAX_BYTES = 64 * 1024 * 1024
MAX_NUMBER = 2**31 - 1
MAX_DURATION_SECONDS = 100 * 365 * 24 * 3600
"""A task longer than a century cannot be scheduled in the calendars' years (1984-2149)."""
"""Largest whole number Project writes in a numeric field (UIDs, lags in tenths of a minute)."""

LINK_TYPES = {0: LinkType.FF, 1: LinkType.FS, 2: LinkType.SF, 3: LinkType.SS}
LINK_CODES = {v: k for k, v in LINK_TYPES.items()}
CONSTRAINTS = {
    0: ConstraintType.ASAP,
    1: ConstraintType.ALAP,
    2: ConstraintType.MSO,
    3: ConstraintType.MFO,
    4: ConstraintType.SNET,
    5: ConstraintType.SNLT,
    6: ConstraintType.FNET,
    7: ConstraintType.FNLT,
}
CONSTRAINT_CODES = {v: k for k, v in CONSTRAINTS.items()}
# Duration/lag formats counted in wall-clock time (plain and "estimated" variants).
ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20, 36, 38, 40, 42, 44, 52}
PERCENT_FORMATS = {19, 20, 51, 52}
FLAT_CONTOUR = 0
NO_RESOURCE = -65535
WORK_RESOURCE = 1

_ISO_DURATION = re.compile(
    r"^-?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


class MspdiError(ValueError):
    """The file is not a readable MSPDI project (malformed, hostile, or inconsistent)."""


@dataclass(frozen=True, slots=True)
class Repair:
    """Something in the file that the importer skipped or repaired, and what it did."""

    element: str
    action: str

    def __str__(self) -> str:
        return f"{self.element}: {self.action}"


@dataclass(frozen=True, slots=True)
class MspdiResource:
    """A resource: ``type`` 0 material, 1 work, 2 cost; ``calendar`` key or ``None``."""

    uid: int
    name: str
    type: int
    calendar: str | None
    email: str = ""


@dataclass(frozen=True, slots=True)
class TimephasedBlock:
    """One ``<TimephasedData>`` row of an assignment (kept for a faithful round trip)."""

    type: int
    start: datetime
    finish: datetime
    value: str | None


@dataclass(frozen=True, slots=True)
class MspdiAssignment:
    """A resource assignment: ``work_seconds`` of work at ``units`` (1.0 = 100 %)."""

    uid: int
    task_uid: int
    resource_uid: int
    units: float
    work_seconds: int
    contour: int
    start: datetime | None
    finish: datetime | None
    timephased: tuple[TimephasedBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class MspdiBaseline:
    """Baseline ``number`` (0 = Baseline) of a task."""

    number: int
    start: datetime | None
    finish: datetime | None
    duration_seconds: int | None
    work_seconds: int | None
    cost: float | None


@dataclass(frozen=True, slots=True)
class MspdiTaskInfo:
    """What Project stored about a task besides the plan inputs."""

    uid: int
    id: int
    name: str
    outline_level: int
    summary: bool
    manual: bool
    is_null: bool
    milestone: bool
    start: datetime | None
    finish: datetime | None
    duration_format: int
    baselines: tuple[MspdiBaseline, ...] = ()
    ignore_resource_calendar: bool = False


@dataclass(frozen=True)
class MspdiDocument:
    """An imported project: the plan plus stored dates, resources, assignments, baselines."""

    plan: Plan
    tasks: tuple[MspdiTaskInfo, ...]
    resources: tuple[MspdiResource, ...]
    assignments: tuple[MspdiAssignment, ...]
    repairs: tuple[Repair, ...] = ()
    guid: str = ""
    """The project's ``<GUID>`` (empty when the file has none): what an update matches on."""


def parse_duration(value: str | None) -> int:
    """ISO 8601 duration (``PT57H8M24S``) to seconds; ``None``/empty is 0.

    Raises:
        MspdiError: if the text is not an ISO 8601 duration.
    """
    if not value:
        return 0
    match = _ISO_DURATION.match(value.strip())
    if match is None:
        raise MspdiError(f"not an ISO 8601 duration: {value!r}")
    years, months, days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    total = (((years * 365 + months * 30 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if not math.isfinite(total):
        # ``PT`` and 320 nines: no schedule holds it (``round(inf)`` aborted the import).
        raise MspdiError(f"not a duration a schedule can hold: {value[:40]!r}")
    return round(-total if value.strip().startswith("-") else total)


def format_duration(seconds: int) -> str:
    """Seconds to the ISO 8601 form Project writes (``PT8H0M0S``)."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}PT{seconds // 3600}H{seconds // 60 % 60}M{seconds % 60}S"


def _text(element: ET.Element, tag: str) -> str | None:
    value = element.findtext(Q + tag)
    return value.strip() if value else None


def _int(element: ET.Element, tag: str, default: int = 0) -> int:
    """A whole number (``3`` or ``3.0``); anything else — text, ``INF``, ``3.7`` — is an
    :class:`MspdiError` (``3.7`` was truncated to 3: a UID of 3.7 pushed out task 3)."""
    value = _text(element, tag)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise MspdiError(f"<{tag}> is not a number: {value!r}") from exc
    if not math.isfinite(number) or number != int(number):
        raise MspdiError(f"<{tag}> is not a whole number: {value!r}")
    return int(number)


def _dt(element: ET.Element, tag: str) -> datetime | None:
    """A date-time as Project writes it (local, no offset). A time-zone offset (``Z``,
    ``+02:00``, written by other tools) is dropped: the time is read as written."""
    value = _text(element, tag)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MspdiError(f"<{tag}> is not a date-time: {value!r}") from exc
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def _zoned(element: ET.Element, tag: str) -> bool:
    """Whether the element's date-time carries a time-zone offset."""
    value = _text(element, tag)
    if not value or "T" not in value:
        return False
    clock = value.split("T", 1)[1]
    return clock.endswith(("Z", "z")) or "+" in clock or "-" in clock


class _Declared(Exception):
    """The prolog declares a DTD, an entity or a notation."""


class _RootReached(Exception):
    """The root element starts: the prolog held no DTD."""


PROLOG_CHUNK = 64 * 1024


def refuse_dtd(data: bytes) -> None:
    """Raise :class:`MspdiError` if ``data`` declares a DTD (or entities) before its root.

    A ``<!DOCTYPE>`` may only stand before the root element, and entities and notations can
    only be declared inside one, so reading up to the root's start tag (in chunks: the whole
    file is never parsed here) is enough.
    """
    parser = expat.ParserCreate()

    def declared(*args: object) -> Any:
        raise _Declared

    def root(*args: object) -> Any:
        raise _RootReached

    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    parser.UnparsedEntityDeclHandler = declared
    parser.NotationDeclHandler = declared
    parser.ExternalEntityRefHandler = declared
    parser.StartElementHandler = root
    try:
        for at in range(0, len(data), PROLOG_CHUNK):
            parser.Parse(data[at : at + PROLOG_CHUNK], False)
        parser.Parse(b"", True)
    except _RootReached:
        return
    except _Declared:
        raise MspdiError("refused: the file declares a DTD or entities") from None
    except expat.ExpatError as exc:
        raise MspdiError(f"malformed XML: {exc}") from None
    raise MspdiError("malformed XML: no root element")


def _parse_root(source: str | Path | bytes) -> ET.Element:
    if isinstance(source, bytes):
        if len(source) > MAX_BYTES:
            raise MspdiError(f"larger than {MAX_BYTES // 2**20} MiB")
        data = source
    else:
        path = Path(source)
        if path.stat().st_size > MAX_BYTES:
            raise MspdiError(f"{path.name}: larger than {MAX_BYTES // 2**20} MiB")
        data = path.read_bytes()
    refuse_dtd(data)
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD (refuse_dtd), so no entities
    except ET.ParseError as exc:
        raise MspdiError(f"malformed XML: {exc}") from exc
    if root.tag != Q + "Project":
        if root.tag.rsplit("}", 1)[-1] != "Project":
            raise MspdiError("not an MSPDI file: the root element is not <Project>")
        # No namespace, or another one (tools other than Project write both): read in the
        # MSPDI namespace, as MPXJ does, and say so.
        written = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        for element in root.iter():
            if isinstance(element.tag, str):
                element.tag = Q + element.tag.rsplit("}", 1)[-1]
        root.set(_RENAMED, written or "none")
    return root


_RENAMED = "{urn:twofold}renamed-namespace"
"""Set on a root read into the MSPDI namespace (the namespace it had, or ``none``)."""


def read_mspdi(source: str | Path | bytes) -> MspdiDocument:
    """Import an MSPDI file (path or bytes), repairing what the schedule does not need.

    Raises:
        MspdiError: if the file is malformed or hostile XML, or the schedule cannot be built
            from it (a task's duration unreadable, the project calendar without working time,
            no start date anywhere); the message names the element.
    """
    root = _parse_root(source)
    try:
        return _read(root)
    except MspdiError:
        raise
    except (ValueError, KeyError, OverflowError) as exc:
        raise MspdiError(f"inconsistent project: {exc}") from exc


class _Repairs:
    """Collects :class:`Repair` notes while reading, and tolerant field readers."""

    def __init__(self) -> None:
        self.items: list[Repair] = []
        # Resource UID -> a calendar it names that is missing or has no working time: noted
        # once, when the resource's work drives a task.
        self.unusable_resource_calendars: dict[int, str] = {}
        # Such resources met only on tasks with calendars of their own (uid -> name).
        self.driving: dict[int, str] = {}
        # Outline levels counted from 0 (a summary other than UID 0 at level 0): all + 1.
        self.zero_based_levels = False
        # Date-times written with a time-zone offset (read as written): noted once, with the
        # first element, after the whole file is read.
        self.zoned: list[str] = []

    def add(self, element: str, action: str) -> None:
        self.items.append(Repair(element, action))

    def dt(self, element: ET.Element, tag: str, where: str, action: str) -> datetime | None:
        """``_dt``, but a malformed value is dropped (``None``) with a repair note."""
        try:
            moment = _dt(element, tag)
            if moment is not None and _zoned(element, tag):
                self.zoned.append(f"{where} <{tag}>")
            return moment
        except MspdiError:
            self.add(f"{where} <{tag}>", f"malformed date-time {_text(element, tag)!r}: {action}")
            return None

    def number(self, element: ET.Element, tag: str, where: str, default: int) -> int:
        """``_int``, but a malformed value, or one beyond what Project stores (32 bits),
        becomes ``default`` with a repair note."""
        try:
            value = _int(element, tag, default)
        except (MspdiError, OverflowError) as exc:
            what = "a whole number" if "whole" in str(exc) else "a number"
            self.add(f"{where} <{tag}>", f"not {what} {_text(element, tag)!r}: used {default}")
            return default
        if not -MAX_NUMBER <= value <= MAX_NUMBER:
            self.add(f"{where} <{tag}>", f"{_text(element, tag)} is out of range: used {default}")
            return default
        return value

    def within(self, moment: datetime | None, element: str, action: str) -> datetime | None:
        """``moment``, or ``None`` (with a note) when it lies outside the years the calendars
        cover (a constraint on 2200-01-01 stopped the schedule)."""
        if moment is None or HORIZON_START <= moment.date() < HORIZON_END:
            return moment
        self.add(
            element,
            f"{moment:%Y-%m-%d} is outside the years a schedule covers "
            f"({HORIZON_START.year}-{HORIZON_END.year - 1}): {action}",
        )
        return None

    def finish(self) -> None:
        """Notes that sum up the whole file (added once it is read)."""
        for uid, name in self.driving.items():
            missing = self.unusable_resource_calendars.pop(uid, None)
            if missing is not None:
                self.add(
                    f"resource UID {uid} {name!r}",
                    f"calendar {missing} is missing or has no working time: its work follows "
                    "the calendars of the tasks it is on",
                )
        if self.zoned:
            more = f" and {len(self.zoned) - 1} more" if len(self.zoned) > 1 else ""
            self.add(
                self.zoned[0] + more,
                "a time-zone offset: dropped, the time is read as written (Project writes "
                "local times without one)",
            )

    def duration(self, element: ET.Element, tag: str, where: str) -> int | None:
        """An optional duration: malformed is dropped (``None``) with a repair note."""
        value = _text(element, tag)
        if not value:
            return None
        try:
            return parse_duration(value)
        except MspdiError:
            self.add(f"{where} <{tag}>", f"not an ISO 8601 duration {value!r}: ignored")
            return None


def _in_years(moment: datetime | None) -> bool:
    """Whether ``moment`` lies in the years the calendars cover."""
    return moment is not None and HORIZON_START <= moment.date() < HORIZON_END


def _task_label(element: ET.Element) -> str:
    return f"task UID {_text(element, 'UID')} {(_text(element, 'Name') or '')!r}"


def _usable_calendars(
    root: ET.Element, calendars: dict[str, CalendarSpec], fix: _Repairs
) -> tuple[dict[str, CalendarSpec], str]:
    """Leave out calendars without working time (with a note); return them and the project's.

    Raises:
        MspdiError: if the project calendar itself has no working time.
    """
    project_cal = _text(root, "CalendarUID") or ""
    if project_cal not in calendars:
        named = bool(calendars)
        if not calendars:
            calendars = {"1": CalendarSpec(name="Standard")}
            fix.add(
                "Project <Calendars>",
                "the file has no calendar: Project's Standard calendar is used (Monday to "
                "Friday, 08:00-12:00 and 13:00-17:00)",
            )
        first = _fallback_calendar(root, calendars)
        if project_cal and named:
            fix.add(
                "Project <CalendarUID>",
                f"calendar {project_cal} is not in the file: used calendar {first} "
                f"{calendars[first].name!r}",
            )
        project_cal = first
    usable: dict[str, CalendarSpec] = {}
    for key, spec in calendars.items():
        try:
            compile_calendar(spec)
        except NoWorkingTimeError:
            if key == project_cal:
                raise MspdiError(
                    f"the project calendar {spec.name!r} (UID {key}) has no working time, "
                    "so no task can be scheduled"
                ) from None
            fix.add(
                f"calendar UID {key} {spec.name!r}",
                "has no working time: left out; tasks and resources using it follow the "
                "project calendar",
            )
            continue
        usable[key] = spec
    return usable, project_cal


def _fallback_calendar(root: ET.Element, calendars: dict[str, CalendarSpec]) -> str:
    """The calendar to schedule on when the project names none that is in the file: the first
    base calendar with working time, else the first calendar with working time, else the
    first (a resource calendar without working time, listed first, was taken and refused the
    file although a usable Standard calendar followed)."""
    bases = {
        uid
        for element in root.findall(f"{Q}Calendars/{Q}Calendar")
        if (uid := _text(element, "UID")) is not None and _text(element, "IsBaseCalendar") == "1"
    }

    def works(key: str) -> bool:
        try:
            compile_calendar(calendars[key])
        except (NoWorkingTimeError, CalendarRangeError, ValueError):
            return False
        return True

    ranked = sorted(calendars, key=lambda key: (key not in bases, not works(key)))
    return ranked[0]


def _quiet_dt(element: ET.Element, tag: str) -> datetime | None:
    try:
        return _dt(element, tag)
    except MspdiError:
        return None


def _project_start(root: ET.Element, fix: _Repairs) -> datetime:
    start = fix.dt(root, "StartDate", "Project", "the earliest task start is used instead")
    if start is not None and _in_years(start):
        # An old file (Project 2002-2007) whose start was moved without recalculating: every
        # task Project stored starts before it. Project and MPXJ keep the stored schedule;
        # starting every task at the header moved them all (a week, in a case found).
        stored = [
            moment
            for element in root.findall(f"{Q}Tasks/{Q}Task")
            if _text(element, "IsNull") != "1"
            and (moment := _quiet_dt(element, "Start")) is not None
            and _in_years(moment)
        ]
        if stored and max(stored) < start:
            fix.add(
                "Project <StartDate>",
                f"{start} is later than every task's stored start (saved without "
                f"recalculating): the stored schedule is kept, from {min(stored)}",
            )
            return min(stored)
        return start
    years = f"{HORIZON_START.year}-{HORIZON_END.year - 1}"
    if start is not None:
        fix.add(
            "Project <StartDate>",
            f"{start:%Y-%m-%d} is outside the years a schedule covers ({years}): the "
            "earliest task start is used",
        )
    stored = [
        moment
        for element in root.findall(f"{Q}Tasks/{Q}Task")
        if (moment := fix.dt(element, "Start", _task_label(element), "ignored")) is not None
        and _in_years(moment)
    ]
    if not stored:
        raise MspdiError(
            f"the project starts on {start:%Y-%m-%d}, outside the years the calendar covers "
            f"({years}), and no task has a start date to take it from"
            if start is not None
            else "the project has no <StartDate> and no task has a start date to take it from"
        )
    if start is None:
        fix.add("Project <StartDate>", f"missing: the earliest task start {min(stored)} is used")
    return min(stored)


def _positive(root: ET.Element, tag: str, default: int, fix: _Repairs) -> int:
    """A project duration setting; 0 or less is Project's default (with a note when given)."""
    value = fix.number(root, tag, "Project", default)
    if value > 0:
        return value
    if _text(root, tag) is not None:
        fix.add(f"Project <{tag}>", f"{value} is not above 0: Project's default {default} used")
    return default


def _read(root: ET.Element) -> MspdiDocument:
    fix = _Repairs()
    renamed = root.get(_RENAMED)
    if renamed is not None:
        fix.add(
            "Project",
            "not in the MSPDI namespace ("
            + ("no namespace" if renamed == "none" else f"namespace {renamed!r}")
            + "): read as an MSPDI file",
        )
    calendars, project_cal = _usable_calendars(root, read_calendars(root, fix.add), fix)
    settings = DurationSettings(
        minutes_per_day=_positive(root, "MinutesPerDay", 480, fix),
        minutes_per_week=_positive(root, "MinutesPerWeek", 2400, fix),
        days_per_month=_positive(root, "DaysPerMonth", 20, fix),
    )
    start = _project_start(root, fix)
    summaries_at_zero = [
        element
        for element in root.findall(f"{Q}Tasks/{Q}Task")
        if _text(element, "OutlineLevel") == "0"
        and _text(element, "UID") not in ("0", None)
        and _text(element, "Summary") == "1"
    ]
    if summaries_at_zero:
        # A tool that counts outline levels from 0: its level-0 summaries are top-level
        # phases, so every task is read one level deeper (the in-app import dropped the first
        # such phase as if it were the project).
        fix.zero_based_levels = True
        fix.add(
            _task_label(summaries_at_zero[0]) + " <OutlineLevel>",
            "a summary at level 0 that is not the project's (UID 0): outline levels are read "
            "as counted from 0, every task one level deeper",
        )

    resources = tuple(
        _read_resource(r, calendars, fix) for r in root.findall(f"{Q}Resources/{Q}Resource")
    )
    assignments = tuple(
        _read_assignment(a, fix) for a in root.findall(f"{Q}Assignments/{Q}Assignment")
    )

    task_elements = root.findall(f"{Q}Tasks/{Q}Task")
    infos: list[MspdiTaskInfo] = []
    tasks: list[Task] = []
    links: list[Link] = []
    stack: list[tuple[int, int]] = []  # (outline level, uid) of open summaries
    resource_by_uid = {r.uid: r for r in resources}
    assignments_by_task: dict[int, list[MspdiAssignment]] = {}
    for a in assignments:
        assignments_by_task.setdefault(a.task_uid, []).append(a)

    seen: set[int] = set()
    inactive: dict[int, str] = {}  # uid -> name of the tasks that drive nothing
    inactive_level: int | None = None  # outline level of an inactive summary being read
    for element in task_elements:
        try:
            uid = _int(element, "UID", -1)
        except (MspdiError, OverflowError):
            uid = -1
        if not 0 <= uid <= MAX_NUMBER:
            written = _text(element, "UID")
            fix.add(
                _task_label(element),
                f"UID {written!r} is not a task UID: skipped" if written else "has no UID: skipped",
            )
            continue
        if uid in seen:
            fix.add(
                _task_label(element),
                "a second task with this UID: left out (links and assignments naming the UID "
                "go to the first)",
            )
            continue
        seen.add(uid)
        info = _read_info(element, fix)
        infos.append(info)
        if info.is_null:
            continue
        while stack and stack[-1][0] >= info.outline_level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        stack.append((info.outline_level, uid))
        if inactive_level is not None and info.outline_level <= inactive_level:
            inactive_level = None
        if inactive_level is not None or _text(element, "Active") == "0":
            inactive[uid] = info.name
            if inactive_level is None and info.summary:
                inactive_level = info.outline_level
        task = _read_task(element, info, parent, calendars, settings, fix)
        task = _with_assignments(
            task,
            assignments_by_task.get(uid, []),
            resource_by_uid,
            calendars,
            project_cal,
            fix,
            ignore_resource_calendar=info.ignore_resource_calendar,
        )
        tasks.append(task)
        for link_element in element.findall(Q + "PredecessorLink"):
            links.append(_read_link(link_element, uid, fix))

    known = {t.uid for t in tasks}
    parent_of = {t.uid: t.parent for t in tasks}

    def above(upper: int, lower: int) -> bool:
        """Whether ``upper`` is a summary over ``lower``."""
        at = parent_of.get(lower)
        while at is not None:
            if at == upper:
                return True
            at = parent_of.get(at)
        return False

    kept: list[Link] = []
    driven: dict[int, int] = {}
    for link in links:
        if link.pred in inactive and link.succ in known:
            driven[link.pred] = driven.get(link.pred, 0) + 1
            continue
        if (
            link.pred in known
            and link.succ in known
            and (above(link.pred, link.succ) or above(link.succ, link.pred))
        ):
            fix.add(
                f"task UID {link.succ} <PredecessorLink>",
                f"links a summary and its own subtask (task {link.pred}), which Project does "
                "not allow: ignored",
            )
            continue
        if link.pred not in known:
            fix.add(
                f"task UID {link.succ} <PredecessorLink>",
                f"task {link.pred} is not in the file: link ignored",
            )
        elif link.pred == link.succ:
            fix.add(f"task UID {link.succ} <PredecessorLink>", "links the task to itself: ignored")
        else:
            kept.append(link)
    for a in assignments:
        if a.task_uid not in known:
            fix.add(f"assignment UID {a.uid}", f"task {a.task_uid} is not in the file: ignored")
    tasks = _summary_starts_down(tasks, fix)
    for uid, count in driven.items():
        fix.add(
            f"task UID {uid} {inactive[uid]!r} <Active>",
            f"inactive: it does not drive its successors, as in Project ({count} link(s) from "
            "it left out)",
        )
    _note_unscheduled(infos, fix)
    status = fix.dt(root, "StatusDate", "Project", "ignored")
    fix.finish()
    plan = Plan(
        start=start,
        tasks=tuple(tasks),
        links=tuple(kept),
        calendars=calendars,
        calendar=project_cal,
        status_date=status,
        honor_constraints=_text(root, "HonorConstraints") != "0",
        settings=settings,
        name=_text(root, "Name") or "",
    )
    return MspdiDocument(
        plan,
        tuple(infos),
        resources,
        assignments,
        tuple(fix.items),
        guid=(_text(root, "GUID") or "")[:64],
    )


def _summary_starts_down(tasks: list[Task], fix: _Repairs) -> list[Task]:
    """A summary's "start no earlier than" holds its subtasks back, as in Project (the engine
    rolls a summary up from its subtasks and would ignore it): each automatically scheduled
    subtask below that is as soon as possible, or starts no earlier than an earlier date, gets
    the summary's date."""
    summaries = {
        t.uid: t for t in tasks if t.constraint is ConstraintType.SNET and t.constraint_date
    }
    if not summaries:
        return tasks
    parent_of = {t.uid: t.parent for t in tasks}
    is_parent = {t.parent for t in tasks if t.parent is not None}
    summaries = {uid: t for uid, t in summaries.items() if uid in is_parent}
    moved: dict[int, int] = {}
    out = []
    for task in tasks:
        floor: datetime | None = None
        at, source = task.parent, None
        while at is not None:
            above = summaries.get(at)
            if (
                above is not None
                and above.constraint_date is not None
                and (floor is None or above.constraint_date > floor)
            ):
                floor, source = above.constraint_date, at
            at = parent_of.get(at)
        if (
            floor is None
            or source is None
            or task.uid in is_parent
            or task.manual
            or task.constraint not in (ConstraintType.ASAP, ConstraintType.SNET)
            or (task.constraint_date is not None and task.constraint_date >= floor)
        ):
            out.append(task)
            continue
        moved[source] = moved.get(source, 0) + 1
        out.append(replace(task, constraint=ConstraintType.SNET, constraint_date=floor))
    for uid, count in moved.items():
        fix.add(
            f"task UID {uid} {summaries[uid].name!r} <ConstraintType>",
            f"start no earlier than {summaries[uid].constraint_date} on a summary: given to its "
            f"{count} subtask(s) that started earlier, as Project holds them back",
        )
    return out


def _note_unscheduled(infos: list[MspdiTaskInfo], fix: _Repairs) -> None:
    """Say so when the file was saved without a calculated schedule (no task has dates)."""
    real = [i for i in infos if not i.is_null and not i.summary]
    if real and all(i.start is None or i.finish is None for i in real):
        fix.add(
            "Project",
            "the file holds no calculated dates (saved without recalculating): every task "
            "is scheduled from the project start",
        )


def _read_resource(
    element: ET.Element, calendars: dict[str, CalendarSpec], fix: _Repairs
) -> MspdiResource:
    uid = fix.number(element, "UID", "resource", 0)
    name = _text(element, "Name") or ""
    calendar = _text(element, "CalendarUID")
    if calendar is not None and calendar not in calendars and calendar != "-1":
        fix.unusable_resource_calendars[uid] = calendar
    return MspdiResource(
        uid=uid,
        name=name,
        type=fix.number(element, "Type", f"resource UID {uid}", WORK_RESOURCE),
        calendar=calendar if calendar in calendars else None,
        email=(_text(element, "EmailAddress") or "")[:254],
    )


def _read_info(element: ET.Element, fix: _Repairs) -> MspdiTaskInfo:
    where = _task_label(element)
    baselines = []
    for b in element.findall(Q + "Baseline"):
        number = fix.number(b, "Number", f"{where} <Baseline>", 0)
        at = f"{where} baseline {number}"
        cost_text = _text(b, "Cost")
        cost = None
        if cost_text:
            try:
                cost = float(cost_text)
            except ValueError:
                fix.add(f"{at} <Cost>", f"not a number {cost_text!r}: ignored")
        baselines.append(
            MspdiBaseline(
                number=number,
                start=fix.dt(b, "Start", at, "ignored"),
                finish=fix.dt(b, "Finish", at, "ignored"),
                duration_seconds=fix.duration(b, "Duration", at),
                work_seconds=fix.duration(b, "Work", at),
                cost=cost,
            )
        )
    uid = _int(element, "UID")
    level = fix.number(element, "OutlineLevel", where, 1)
    if uid != 0 and fix.zero_based_levels:
        level += 1  # noted once, in _read
    elif level < 1 and uid != 0:
        # Level 0 is the project's own summary task (UID 0): a task written there was read
        # as the parent of every task after it, and left out by the in-app import.
        fix.add(f"{where} <OutlineLevel>", f"{level} is the project summary's level: read as 1")
        level = 1
    return MspdiTaskInfo(
        uid=uid,
        id=fix.number(element, "ID", where, 0),
        name=_text(element, "Name") or "",
        outline_level=level,
        summary=_text(element, "Summary") == "1",
        manual=_text(element, "Manual") == "1",
        is_null=_text(element, "IsNull") == "1",
        milestone=_text(element, "Milestone") == "1",
        start=fix.dt(element, "Start", where, "treated as not stored"),
        finish=fix.dt(element, "Finish", where, "treated as not stored"),
        duration_format=fix.number(element, "DurationFormat", where, 7),
        baselines=tuple(baselines),
        ignore_resource_calendar=_text(element, "IgnoreResourceCalendar") == "1",
    )


def _read_task(
    element: ET.Element,
    info: MspdiTaskInfo,
    parent: int | None,
    calendars: dict[str, CalendarSpec],
    settings: DurationSettings,
    fix: _Repairs,
) -> Task:
    where = _task_label(element)
    calendar = _text(element, "CalendarUID")
    if calendar is not None and calendar != "-1" and calendar not in calendars:
        fix.add(
            f"{where} <CalendarUID>",
            f"calendar {calendar} is missing or has no working time: the project calendar is used",
        )
    code = fix.number(element, "ConstraintType", where, 0)
    constraint = CONSTRAINTS.get(code, ConstraintType.ASAP)
    if code not in CONSTRAINTS:
        fix.add(f"{where} <ConstraintType>", f"unknown constraint {code}: as soon as possible")
    constraint_date = fix.within(
        fix.dt(element, "ConstraintDate", where, "constraint dropped"),
        f"{where} <ConstraintDate>",
        "the constraint is dropped",
    )
    if constraint_date is None and constraint not in (ConstraintType.ASAP, ConstraintType.ALAP):
        fix.add(
            f"{where} <ConstraintDate>", f"{constraint.name} without a date: as soon as possible"
        )
        constraint = ConstraintType.ASAP
    try:
        duration = parse_duration(_text(element, "Duration"))
    except MspdiError as exc:
        if not info.summary:
            raise MspdiError(f"{where}: <Duration> {exc}") from None
        # A summary's own duration is not scheduled (its dates come from its subtasks).
        fix.add(f"{where} <Duration>", f"{exc}: ignored, as a summary's dates are its subtasks'")
        duration = 0
    if duration < 0:
        fix.add(f"{where} <Duration>", "negative: 0 used")
        duration = 0
    if duration > MAX_DURATION_SECONDS:
        if not info.summary:
            raise MspdiError(
                f"{where}: <Duration> of {duration // 3600:,} hours is longer than the years a "
                "schedule can cover"
            )
        fix.add(
            f"{where} <Duration>",
            f"{duration // 3600:,} hours, longer than the years a schedule covers: ignored, as "
            "a summary's dates are its subtasks'",
        )
        duration = 0
    actual_start = fix.within(
        fix.dt(element, "ActualStart", where, "progress ignored"),
        f"{where} <ActualStart>",
        "progress ignored",
    )
    actual_finish = fix.within(
        fix.dt(element, "ActualFinish", where, "progress ignored"),
        f"{where} <ActualFinish>",
        "progress ignored",
    )
    if actual_start is not None and actual_finish is not None and actual_finish < actual_start:
        fix.add(
            f"{where} <ActualFinish>",
            f"{actual_finish} is before the actual start {actual_start}: the actual finish is "
            "dropped",
        )
        actual_finish = None
    stored_start = info.start if _in_years(info.start) else None
    if actual_finish is not None and actual_start is None:
        if stored_start is not None and stored_start <= actual_finish:
            actual_start = info.start
            fix.add(
                f"{where} <ActualStart>",
                f"missing beside an actual finish: the stored start {info.start} is used",
            )
        else:
            fix.add(f"{where} <ActualFinish>", "no actual start to go with it: dropped")
            actual_finish = None
    if _text(element, "ExternalTask") == "1":
        if stored_start is not None:
            constraint, constraint_date = ConstraintType.MSO, info.start
            fix.add(
                where,
                f"an external task (from another project): kept at its stored start "
                f"{info.start} (must start on)",
            )
        else:
            fix.add(where, "an external task without stored dates: scheduled as a task here")
    manual = info.manual and info.start is not None and info.finish is not None
    if info.manual and not manual:
        fix.add(where, "manually scheduled without dates: scheduled automatically")
    elif manual and not (_in_years(info.start) and _in_years(info.finish)):
        # 1899-12-30 (the OLE null date) made the in-app import answer 500.
        fix.add(
            where,
            f"manually scheduled from {info.start} to {info.finish}, outside the years a "
            f"schedule covers ({HORIZON_START.year}-{HORIZON_END.year - 1}): scheduled "
            "automatically",
        )
        manual = False
    elif manual and info.start is not None and info.finish is not None and info.start > info.finish:
        fix.add(
            where,
            f"manually scheduled to start {info.start} after its finish {info.finish}: "
            "scheduled automatically",
        )
        manual = False
    return Task(
        uid=info.uid,
        name=info.name,
        parent=parent,
        duration=duration,
        duration_elapsed=info.duration_format in ELAPSED_FORMATS,
        calendar=calendar if calendar in calendars else None,
        constraint=constraint,
        constraint_date=constraint_date if constraint_date else None,
        deadline=fix.within(
            fix.dt(element, "Deadline", where, "deadline ignored"),
            f"{where} <Deadline>",
            "deadline ignored",
        ),
        manual=manual,
        start=info.start if manual else None,
        finish=info.finish if manual else None,
        actual_start=actual_start,
        actual_finish=actual_finish,
        remaining_duration=fix.duration(element, "RemainingDuration", where),
        percent_complete=_percent(element, where, fix),
    )


def _percent(element: ET.Element, where: str, fix: _Repairs) -> float:
    """``<PercentComplete>`` within 0-100 (-50 was read as 150 % remaining)."""
    value = fix.number(element, "PercentComplete", where, 0)
    if 0 <= value <= 100:
        return float(value)
    kept = min(max(value, 0), 100)
    fix.add(f"{where} <PercentComplete>", f"{value} is not within 0-100: {kept} used")
    return float(kept)


def _read_link(element: ET.Element, succ: int, fix: _Repairs) -> Link:
    where = f"task UID {succ} <PredecessorLink>"
    lag_format = fix.number(element, "LagFormat", where, 7)
    raw_lag = fix.number(element, "LinkLag", where, 0)  # tenths of a minute (percent x 10)
    if lag_format in PERCENT_FORMATS:
        lag, kind = round(raw_lag / 10), LagKind.PERCENT
    else:
        lag = raw_lag * 6
        kind = LagKind.ELAPSED if lag_format in ELAPSED_FORMATS else LagKind.WORKING
    code = fix.number(element, "Type", where, 1)
    if code not in LINK_TYPES:
        fix.add(f"{where} <Type>", f"unknown link type {code}: finish-to-start")
    return Link(
        pred=fix.number(element, "PredecessorUID", where, -1),
        succ=succ,
        type=LINK_TYPES.get(code, LinkType.FS),
        lag=lag,
        lag_kind=kind,
    )


def _read_assignment(element: ET.Element, fix: _Repairs) -> MspdiAssignment:
    uid = fix.number(element, "UID", "assignment", 0)
    where = f"assignment UID {uid}"
    blocks = []
    skipped: list[str] = []
    for tp in element.findall(Q + "TimephasedData"):
        try:
            start, finish = _dt(tp, "Start"), _dt(tp, "Finish")
            kind = _int(tp, "Type")
            if _zoned(tp, "Start") or _zoned(tp, "Finish"):
                fix.zoned.append(f"{where} <TimephasedData>")
        except MspdiError as exc:
            skipped.append(str(exc))
            continue
        if start is None or finish is None:
            skipped.append("a row without <Start> or <Finish>")
            continue
        blocks.append(
            TimephasedBlock(type=kind, start=start, finish=finish, value=_text(tp, "Value"))
        )
    if skipped:
        fix.add(
            f"{where} <TimephasedData>",
            f"{len(skipped)} row(s) skipped ({skipped[0]}); the schedule does not need them",
        )
    units = 1.0
    units_text = _text(element, "Units")
    if units_text:
        try:
            units = float(units_text)
        except ValueError:
            fix.add(f"{where} <Units>", f"not a number {units_text!r}: 100 % used")
        else:
            if not math.isfinite(units) or units < 0:
                fix.add(f"{where} <Units>", f"{units_text!r} is not a share of time: 100 % used")
                units = 1.0
    work = fix.duration(element, "Work", where)
    return MspdiAssignment(
        uid=uid,
        task_uid=fix.number(element, "TaskUID", where, -1),
        resource_uid=fix.number(element, "ResourceUID", where, NO_RESOURCE),
        units=units,
        work_seconds=work or 0,
        contour=fix.number(element, "WorkContour", where, FLAT_CONTOUR),
        start=fix.dt(element, "Start", where, "ignored"),
        finish=fix.dt(element, "Finish", where, "ignored"),
        timephased=tuple(blocks),
    )


def _with_assignments(
    task: Task,
    assignments: list[MspdiAssignment],
    resources: dict[int, MspdiResource],
    calendars: dict[str, CalendarSpec],
    project_cal: str,
    fix: _Repairs,
    *,
    ignore_resource_calendar: bool = False,
) -> Task:
    """Add resource spans (flat work assignments) and split interruptions to a task.

    A resource's work runs on its own calendar; when the task has a calendar too, on the time
    both calendars work (Project's rule), unless the task ignores resource calendars. The
    intersection is added to ``calendars`` under the key ``"<task>&<resource>"``.
    """
    if not assignments:
        return task
    spans = []
    resource_driven = True
    for a in assignments:
        resource = resources.get(a.resource_uid)
        if a.resource_uid != NO_RESOURCE and resource is None:
            fix.add(
                f"assignment UID {a.uid}", f"resource {a.resource_uid} is not in the file: ignored"
            )
        if a.resource_uid == NO_RESOURCE or resource is None or resource.type != WORK_RESOURCE:
            continue
        if a.contour != FLAT_CONTOUR or a.units <= 0 or a.work_seconds <= 0:
            resource_driven = False
            continue
        calendar = task.calendar or resource.calendar or project_cal
        if task.calendar and resource.calendar and not ignore_resource_calendar:
            calendar = _intersection(calendars, task.calendar, resource.calendar)
        if resource.uid in fix.unusable_resource_calendars:
            if task.calendar is None:
                missing = fix.unusable_resource_calendars.pop(resource.uid)
                fix.add(
                    f"resource UID {resource.uid} {resource.name!r}",
                    f"calendar {missing} is missing or has no working time: its work follows "
                    "the project calendar",
                )
            else:  # noted at the end unless a task on the project calendar notes it first
                fix.driving.setdefault(resource.uid, resource.name)
        spans.append(ResourceSpan(calendar, round(a.work_seconds / a.units)))
    if spans and resource_driven:
        task = replace(task, resource_spans=tuple(spans))
    spec = calendars.get(task.calendar or project_cal)
    try:
        splits = _splits(assignments[0], spec)
    except CalendarRangeError:
        fix.add(
            f"assignment UID {assignments[0].uid} <TimephasedData>",
            "dates outside 1984-2149: the task's splits are ignored",
        )
        splits = ()
    if not splits:
        return task
    return replace(task, split_seconds=sum(sp.seconds for sp in splits), splits=splits)


def _intersection(calendars: dict[str, CalendarSpec], first: str, second: str) -> str:
    """Add (once) the calendar working where both ``first`` and ``second`` work; its key."""
    if first == second:
        return first
    key = f"{first}&{second}"
    if key not in calendars:
        a, b = calendars[first], calendars[second]
        calendars[key] = replace(a, name=f"{a.name} and {b.name}", also=b)
    return key


def _splits(assignment: MspdiAssignment, spec: CalendarSpec | None) -> tuple[Split, ...]:
    """The task's splits from an assignment's timephased data: each zero-work period inside
    the work, by position (working seconds of work done before it) and length."""
    if spec is None or not assignment.timephased:
        return ()
    cal = compile_calendar(spec)
    pauses = sorted(
        (
            b
            for b in assignment.timephased
            if b.type == 1 and b.value is not None and _zero_or_none(b.value) is True
        ),
        key=lambda b: b.start,
    )
    worked = [
        b
        for b in assignment.timephased
        if b.type == 1 and b.value is not None and _zero_or_none(b.value) is False
    ]
    if not pauses or not worked:
        return ()
    first_work = cal.working_before(to_instant(min(b.start for b in worked)))
    last_work = max(b.finish for b in worked)
    out: list[Split] = []
    paused = 0
    for b in pauses:
        if b.finish > last_work:
            continue
        begin = cal.working_before(to_instant(b.start))
        length = cal.working_before(to_instant(b.finish)) - begin
        if length <= 0:
            continue
        out.append(Split(max(0, begin - first_work - paused), length))
        paused += length
    return tuple(out)


def _zero_or_none(value: str) -> bool | None:
    """Is a timephased value zero work? ``None`` when it is not a duration at all."""
    try:
        return parse_duration(value) == 0
    except MspdiError:
        return None


# --------------------------------------------------------------------------------------------
# Export.


def schedule_dates(result: ScheduleResult) -> dict[int, tuple[datetime, datetime]]:
    """Task uid → (start, finish) of ``result``, all at once (``result.task(uid)`` searches
    the uid array on each call: quadratic over a whole plan)."""
    return {
        uid: (from_instant(start), from_instant(finish))
        for uid, start, finish in zip(
            result.uids.tolist(), result.start.tolist(), result.finish.tolist(), strict=True
        )
    }


def _add(parent: ET.Element, tag: str, value: object) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = str(value)
    return child


def _fmt(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def write_mspdi(document: MspdiDocument, result: ScheduleResult | None = None) -> bytes:
    """Serialise ``document`` as MSPDI XML (UTF-8 bytes).

    With a ``result``, the tasks' Start/Finish are the scheduled dates; otherwise the dates
    the document was read with. Calendar keys must be integer strings (as :func:`read_mspdi`
    makes them).

    Raises:
        ValueError: if a calendar key is not an integer string.
    """
    plan = document.plan
    root = ET.Element("Project", {"xmlns": NS})
    _add(root, "SaveVersion", 14)
    if document.guid:
        _add(root, "GUID", document.guid)
    if plan.name:
        _add(root, "Name", plan.name)
    _add(root, "ScheduleFromStart", 1)
    _add(root, "StartDate", _fmt(plan.start))
    if plan.status_date is not None:
        _add(root, "StatusDate", _fmt(plan.status_date))
    uid_of = write_calendars(ET.Element("Calendars"), dict(plan.calendars))
    _add(root, "CalendarUID", uid_of[plan.calendar])
    _add(root, "MinutesPerDay", plan.settings.minutes_per_day)
    _add(root, "MinutesPerWeek", plan.settings.minutes_per_week)
    _add(root, "DaysPerMonth", plan.settings.days_per_month)
    _add(root, "HonorConstraints", 1 if plan.honor_constraints else 0)
    write_calendars(root, dict(plan.calendars))

    infos = {i.uid: i for i in document.tasks}
    level: dict[int, int] = {}
    preds: dict[int, list[Link]] = {}
    for link in plan.links:
        preds.setdefault(link.succ, []).append(link)
    parents = {t.parent for t in plan.tasks if t.parent is not None}
    scheduled = schedule_dates(result) if result is not None else {}
    tasks_el = ET.SubElement(root, "Tasks")
    for index, task in enumerate(plan.tasks):
        # Top-level tasks are at outline level 1, as Project writes them (0 is the project's
        # own summary task, UID 0).
        level[task.uid] = 1 if task.parent is None else level[task.parent] + 1
        info = infos.get(task.uid)
        el = ET.SubElement(tasks_el, "Task")
        _add(el, "UID", task.uid)
        _add(el, "ID", info.id if info else index)
        if task.name:
            _add(el, "Name", task.name)
        _add(el, "Manual", 1 if task.manual else 0)
        _add(el, "OutlineLevel", info.outline_level if info else level[task.uid])
        start, finish = (info.start, info.finish) if info else (task.start, task.finish)
        if result is not None:
            start, finish = scheduled[task.uid]
        if start is not None:
            _add(el, "Start", _fmt(start))
        if finish is not None:
            _add(el, "Finish", _fmt(finish))
        _add(el, "Duration", format_duration(task.duration))
        fmt = info.duration_format if info else (8 if task.duration_elapsed else 7)
        if task.duration_elapsed != (fmt in ELAPSED_FORMATS):
            fmt = 8 if task.duration_elapsed else 7
        _add(el, "DurationFormat", fmt)
        _add(el, "Milestone", 1 if (info.milestone if info else task.duration == 0) else 0)
        _add(el, "Summary", 1 if task.uid in parents else 0)
        if task.actual_start is not None:
            _add(el, "ActualStart", _fmt(task.actual_start))
        if task.actual_finish is not None:
            _add(el, "ActualFinish", _fmt(task.actual_finish))
        _add(el, "PercentComplete", round(task.percent_complete))
        if task.remaining_duration is not None:
            _add(el, "RemainingDuration", format_duration(task.remaining_duration))
        elif task.actual_start is None:
            # Schedulers reading MSPDI (MPXJ's) expect progress fields on every task.
            _add(el, "ActualDuration", format_duration(0))
            _add(el, "RemainingDuration", format_duration(task.duration))
        _add(el, "ConstraintType", CONSTRAINT_CODES[task.constraint])
        if task.constraint_date is not None:
            _add(el, "ConstraintDate", _fmt(task.constraint_date))
        if task.deadline is not None:
            _add(el, "Deadline", _fmt(task.deadline))
        _add(el, "CalendarUID", uid_of[task.calendar] if task.calendar is not None else -1)
        if info is not None and info.ignore_resource_calendar:
            _add(el, "IgnoreResourceCalendar", 1)
        for link in preds.get(task.uid, []):
            _write_link(el, link)
        for b in info.baselines if info else ():
            _write_baseline(el, b)
    _write_resources(root, document.resources, uid_of)
    _write_assignments(root, document.assignments)
    ET.indent(root)
    # Serialised to text, then encoded once (``encoding="utf-8"`` writes each of the ~30 pieces
    # of every element through a codec: three times slower on a 10,000-task plan).
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + _serialise(root)).encode("utf-8")


def _escape(text: str) -> str:
    """Element text escaped as ``ElementTree`` escapes it (``&``, ``<``, ``>``), without the
    characters XML 1.0 cannot hold (a task name with a control character made the file one
    no reader, ours included, would take)."""
    text = xml_text(text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _serialise(root: ET.Element) -> str:
    """``root`` as XML text, as ``ET.tostring(root, encoding="unicode")`` writes a tree without
    namespaced tags, comments or processing instructions (the writer's own tree), in a
    third of its time: no namespace pass over the whole tree, one join at the end."""
    out: list[str] = []
    write = out.append

    def element(el: ET.Element) -> None:
        tag = el.tag
        write("<" + tag)
        for key, value in el.items():
            write(f' {key}="{ET._escape_attrib(xml_text(value))}"')  # type: ignore[attr-defined]
        text = el.text
        if text or len(el):
            write(">")
            if text:
                write(_escape(text))
            for child in el:
                element(child)
            write("</" + tag + ">")
        else:
            write(" />")
        if el.tail:
            write(_escape(el.tail))

    element(root)
    return "".join(out)


def _write_link(parent: ET.Element, link: Link) -> None:
    el = ET.SubElement(parent, "PredecessorLink")
    _add(el, "PredecessorUID", link.pred)
    _add(el, "Type", LINK_CODES[link.type])
    if link.lag_kind is LagKind.PERCENT:
        _add(el, "LinkLag", link.lag * 10)
        _add(el, "LagFormat", 19)
    else:
        _add(el, "LinkLag", round(link.lag / 6))
        _add(el, "LagFormat", 8 if link.lag_kind is LagKind.ELAPSED else 7)


def _write_baseline(parent: ET.Element, b: MspdiBaseline) -> None:
    el = ET.SubElement(parent, "Baseline")
    _add(el, "Number", b.number)
    if b.start is not None:
        _add(el, "Start", _fmt(b.start))
    if b.finish is not None:
        _add(el, "Finish", _fmt(b.finish))
    if b.duration_seconds is not None:
        _add(el, "Duration", format_duration(b.duration_seconds))
    if b.work_seconds is not None:
        _add(el, "Work", format_duration(b.work_seconds))
    if b.cost is not None:
        _add(el, "Cost", b.cost)


def _write_resources(
    root: ET.Element, resources: tuple[MspdiResource, ...], uid_of: dict[str, str]
) -> None:
    el = ET.SubElement(root, "Resources")
    for r in resources:
        res = ET.SubElement(el, "Resource")
        _add(res, "UID", r.uid)
        if r.name:
            _add(res, "Name", r.name)
        _add(res, "Type", r.type)
        if r.email:
            _add(res, "EmailAddress", r.email)
        if r.calendar is not None:
            _add(res, "CalendarUID", uid_of.get(r.calendar, r.calendar))


def _write_assignments(root: ET.Element, assignments: tuple[MspdiAssignment, ...]) -> None:
    el = ET.SubElement(root, "Assignments")
    for a in assignments:
        asg = ET.SubElement(el, "Assignment")
        _add(asg, "UID", a.uid)
        _add(asg, "TaskUID", a.task_uid)
        _add(asg, "ResourceUID", a.resource_uid)
        if a.start is not None:
            _add(asg, "Start", _fmt(a.start))
        if a.finish is not None:
            _add(asg, "Finish", _fmt(a.finish))
        _add(asg, "Units", a.units)
        _add(asg, "Work", format_duration(a.work_seconds))
        _add(asg, "WorkContour", a.contour)
        for b in a.timephased:
            tp = ET.SubElement(asg, "TimephasedData")
            _add(tp, "Type", b.type)
            _add(tp, "UID", a.uid)
            _add(tp, "Start", _fmt(b.start))
            _add(tp, "Finish", _fmt(b.finish))
            _add(tp, "Unit", 2)
            if b.value is not None:
                _add(tp, "Value", b.value)
