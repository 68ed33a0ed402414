"""Microsoft Project XML (MSPDI) import and export.

:func:`read_mspdi` turns a file into an :class:`MspdiDocument`: the schedulable
:class:`~twofold.engine.plan.Plan` plus what the plan does not need (resources, assignments,
baselines, the dates Project stored). :func:`write_mspdi` writes a document back; reading the
output gives the same plan.

Parsing uses ``defusedxml``: DTDs, entity declarations and external references are refused, so a
hostile file (billion laughs, XXE) raises :class:`MspdiError` and nothing is imported. Units:
MSPDI durations are ISO 8601 (``PT8H0M0S``) and lags tenths of a minute; the plan holds seconds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from twofold.engine.calendars import CalendarSpec, compile_calendar, to_instant
from twofold.engine.cpm import ScheduleResult
from twofold.engine.durations import DurationSettings
from twofold.engine.plan import (
    ConstraintType,
    LagKind,
    Link,
    LinkType,
    Plan,
    ResourceSpan,
    Task,
)
from twofold.interop.mspdi_calendars import NS, Q, read_calendars, write_calendars

MAX_BYTES = 64 * 1024 * 1024

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
class MspdiResource:
    """A resource: ``type`` 0 material, 1 work, 2 cost; ``calendar`` key or ``None``."""

    uid: int
    name: str
    type: int
    calendar: str | None


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


@dataclass(frozen=True)
class MspdiDocument:
    """An imported project: the plan plus stored dates, resources, assignments, baselines."""

    plan: Plan
    tasks: tuple[MspdiTaskInfo, ...]
    resources: tuple[MspdiResource, ...]
    assignments: tuple[MspdiAssignment, ...]


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
    return round(-total if value.strip().startswith("-") else total)


def format_duration(seconds: int) -> str:
    """Seconds to the ISO 8601 form Project writes (``PT8H0M0S``)."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}PT{seconds // 3600}H{seconds // 60 % 60}M{seconds % 60}S"


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(Q + tag)
    return None if child is None or child.text is None else child.text.strip()


def _int(element: ET.Element, tag: str, default: int = 0) -> int:
    value = _text(element, tag)
    try:
        return int(float(value)) if value else default
    except ValueError as exc:
        raise MspdiError(f"<{tag}> is not a number: {value!r}") from exc


def _dt(element: ET.Element, tag: str) -> datetime | None:
    value = _text(element, tag)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise MspdiError(f"<{tag}> is not a date-time: {value!r}") from exc


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
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MspdiError(f"refused: the file declares a DTD or entities ({exc})") from exc
    except ET.ParseError as exc:
        raise MspdiError(f"malformed XML: {exc}") from exc
    if root.tag != Q + "Project":
        raise MspdiError(
            "not an MSPDI file: the root element is not <Project> in the MSPDI namespace"
        )
    return root


def read_mspdi(source: str | Path | bytes) -> MspdiDocument:
    """Import an MSPDI file (path or bytes).

    Raises:
        MspdiError: if the file is malformed, hostile, or refers to missing tasks/calendars.
    """
    root = _parse_root(source)
    try:
        return _read(root)
    except MspdiError:
        raise
    except (ValueError, KeyError, OverflowError) as exc:
        raise MspdiError(f"inconsistent project: {exc}") from exc


def _read(root: ET.Element) -> MspdiDocument:
    calendars = read_calendars(root)
    project_cal = _text(root, "CalendarUID") or ""
    if project_cal not in calendars:
        if not calendars:
            raise MspdiError("the project has no calendar")
        project_cal = next(iter(calendars))
    settings = DurationSettings(
        minutes_per_day=_int(root, "MinutesPerDay", 480) or 480,
        minutes_per_week=_int(root, "MinutesPerWeek", 2400) or 2400,
        days_per_month=_int(root, "DaysPerMonth", 20) or 20,
    )
    start = _dt(root, "StartDate")
    if start is None:
        raise MspdiError("the project has no <StartDate>")

    resources = tuple(
        MspdiResource(
            uid=_int(r, "UID"),
            name=_text(r, "Name") or "",
            type=_int(r, "Type", WORK_RESOURCE),
            calendar=_text(r, "CalendarUID") if _text(r, "CalendarUID") in calendars else None,
        )
        for r in root.findall(f"{Q}Resources/{Q}Resource")
    )
    assignments = tuple(_read_assignment(a) for a in root.findall(f"{Q}Assignments/{Q}Assignment"))

    task_elements = root.findall(f"{Q}Tasks/{Q}Task")
    infos: list[MspdiTaskInfo] = []
    tasks: list[Task] = []
    links: list[Link] = []
    stack: list[tuple[int, int]] = []  # (outline level, uid) of open summaries
    resource_by_uid = {r.uid: r for r in resources}
    assignments_by_task: dict[int, list[MspdiAssignment]] = {}
    for a in assignments:
        assignments_by_task.setdefault(a.task_uid, []).append(a)

    for element in task_elements:
        uid = _int(element, "UID", -1)
        if uid < 0:
            continue
        info = _read_info(element)
        infos.append(info)
        if info.is_null:
            continue
        while stack and stack[-1][0] >= info.outline_level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        stack.append((info.outline_level, uid))
        task = _read_task(element, info, parent, calendars, settings)
        task = _with_assignments(
            task, assignments_by_task.get(uid, []), resource_by_uid, calendars, project_cal
        )
        tasks.append(task)
        for link in element.findall(Q + "PredecessorLink"):
            links.append(_read_link(link, uid))

    known = {t.uid for t in tasks}
    links = [link for link in links if link.pred in known]
    status = _dt(root, "StatusDate")
    plan = Plan(
        start=start,
        tasks=tuple(tasks),
        links=tuple(links),
        calendars=calendars,
        calendar=project_cal,
        status_date=status,
        honor_constraints=_text(root, "HonorConstraints") != "0",
        settings=settings,
        name=_text(root, "Name") or "",
    )
    return MspdiDocument(plan, tuple(infos), resources, assignments)


def _read_info(element: ET.Element) -> MspdiTaskInfo:
    baselines = tuple(
        MspdiBaseline(
            number=_int(b, "Number"),
            start=_dt(b, "Start"),
            finish=_dt(b, "Finish"),
            duration_seconds=parse_duration(_text(b, "Duration")) if _text(b, "Duration") else None,
            work_seconds=parse_duration(_text(b, "Work")) if _text(b, "Work") else None,
            cost=float(_text(b, "Cost") or 0) if _text(b, "Cost") else None,
        )
        for b in element.findall(Q + "Baseline")
    )
    return MspdiTaskInfo(
        uid=_int(element, "UID"),
        id=_int(element, "ID"),
        name=_text(element, "Name") or "",
        outline_level=_int(element, "OutlineLevel", 1),
        summary=_text(element, "Summary") == "1",
        manual=_text(element, "Manual") == "1",
        is_null=_text(element, "IsNull") == "1",
        milestone=_text(element, "Milestone") == "1",
        start=_dt(element, "Start"),
        finish=_dt(element, "Finish"),
        duration_format=_int(element, "DurationFormat", 7),
        baselines=baselines,
    )


def _read_task(
    element: ET.Element,
    info: MspdiTaskInfo,
    parent: int | None,
    calendars: dict[str, CalendarSpec],
    settings: DurationSettings,
) -> Task:
    calendar = _text(element, "CalendarUID")
    constraint = CONSTRAINTS.get(_int(element, "ConstraintType"), ConstraintType.ASAP)
    constraint_date = _dt(element, "ConstraintDate")
    if constraint_date is None and constraint not in (ConstraintType.ASAP, ConstraintType.ALAP):
        constraint = ConstraintType.ASAP
    remaining = _text(element, "RemainingDuration")
    manual = info.manual and info.start is not None and info.finish is not None
    return Task(
        uid=info.uid,
        name=info.name,
        parent=parent,
        duration=max(parse_duration(_text(element, "Duration")), 0),
        duration_elapsed=info.duration_format in ELAPSED_FORMATS,
        calendar=calendar if calendar in calendars else None,
        constraint=constraint,
        constraint_date=constraint_date if constraint_date else None,
        deadline=_dt(element, "Deadline"),
        manual=manual,
        start=info.start if manual else None,
        finish=info.finish if manual else None,
        actual_start=_dt(element, "ActualStart"),
        actual_finish=_dt(element, "ActualFinish"),
        remaining_duration=parse_duration(remaining) if remaining else None,
        percent_complete=float(_int(element, "PercentComplete")),
    )


def _read_link(element: ET.Element, succ: int) -> Link:
    lag_format = _int(element, "LagFormat", 7)
    raw_lag = _int(element, "LinkLag")  # tenths of a minute (percent x 10 for % formats)
    if lag_format in PERCENT_FORMATS:
        lag, kind = round(raw_lag / 10), LagKind.PERCENT
    else:
        lag = raw_lag * 6
        kind = LagKind.ELAPSED if lag_format in ELAPSED_FORMATS else LagKind.WORKING
    return Link(
        pred=_int(element, "PredecessorUID"),
        succ=succ,
        type=LINK_TYPES.get(_int(element, "Type", 1), LinkType.FS),
        lag=lag,
        lag_kind=kind,
    )


def _read_assignment(element: ET.Element) -> MspdiAssignment:
    blocks = tuple(
        TimephasedBlock(
            type=_int(tp, "Type"),
            start=_dt(tp, "Start") or datetime.min,
            finish=_dt(tp, "Finish") or datetime.min,
            value=_text(tp, "Value"),
        )
        for tp in element.findall(Q + "TimephasedData")
    )
    units_text = _text(element, "Units")
    return MspdiAssignment(
        uid=_int(element, "UID"),
        task_uid=_int(element, "TaskUID"),
        resource_uid=_int(element, "ResourceUID"),
        units=float(units_text) if units_text else 1.0,
        work_seconds=parse_duration(_text(element, "Work")),
        contour=_int(element, "WorkContour"),
        start=_dt(element, "Start"),
        finish=_dt(element, "Finish"),
        timephased=blocks,
    )


def _with_assignments(
    task: Task,
    assignments: list[MspdiAssignment],
    resources: dict[int, MspdiResource],
    calendars: dict[str, CalendarSpec],
    project_cal: str,
) -> Task:
    """Add resource spans (flat work assignments) and split interruptions to a task."""
    if not assignments:
        return task
    spans = []
    resource_driven = True
    for a in assignments:
        resource = resources.get(a.resource_uid)
        if a.resource_uid == NO_RESOURCE or resource is None or resource.type != WORK_RESOURCE:
            continue
        if a.contour != FLAT_CONTOUR or a.units <= 0 or a.work_seconds <= 0:
            resource_driven = False
            continue
        calendar = task.calendar or resource.calendar or project_cal
        spans.append(ResourceSpan(calendar, round(a.work_seconds / a.units)))
    if spans and resource_driven:
        task = replace(task, resource_spans=tuple(spans))
    split = _split_seconds(assignments[0], calendars.get(task.calendar or project_cal))
    return replace(task, split_seconds=split) if split else task


def _split_seconds(assignment: MspdiAssignment, spec: CalendarSpec | None) -> int:
    """Working time of zero-work periods inside an assignment: the task's splits."""
    if spec is None:
        return 0
    cal = compile_calendar(spec)
    pauses = [
        b
        for b in assignment.timephased
        if b.type == 1 and b.value is not None and parse_duration(b.value) == 0
    ]
    worked = [
        b
        for b in assignment.timephased
        if b.type == 1 and b.value is not None and parse_duration(b.value) > 0
    ]
    if not pauses or not worked:
        return 0
    last_work = max(b.finish for b in worked)
    total = 0
    for b in pauses:
        if b.finish <= last_work:
            total += cal.working_before(to_instant(b.finish)) - cal.working_before(
                to_instant(b.start)
            )
    return total


# --------------------------------------------------------------------------------------------
# Export.


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
    tasks_el = ET.SubElement(root, "Tasks")
    for index, task in enumerate(plan.tasks):
        level[task.uid] = 0 if task.parent is None else level[task.parent] + 1
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
            dates = result.task(task.uid)
            start, finish = dates.start, dates.finish
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
        for link in preds.get(task.uid, []):
            _write_link(el, link)
        for b in info.baselines if info else ():
            _write_baseline(el, b)
    _write_resources(root, document.resources, uid_of)
    _write_assignments(root, document.assignments)
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


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
