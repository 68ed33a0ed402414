"""Readers for the PSPLIB single-mode RCPSP formats.

Two kinds of file are read:

* instance files (``.sm``): jobs, durations in integer periods, finish-to-start successors,
  per-period demands on renewable resources and their constant capacities; and the same content
  in Patterson's format (``.rcp``: the RG30, RG300, DC and CV sets and PSPLIB's own ``.rcp``
  copies), read by :func:`parse_rcp` (:func:`read_instance` picks the reader by suffix);
* value tables: the optimum / best-known makespan per instance, in any of the formats PSPLIB
  publishes (``j30opt.sm``, ``j30hrs.sm``/``j60hrs.sm``, ``j60lb.sm``) or Creemers' ``J60_C.csv``.

Instances are named ``j<size><parameter>_<instance>.sm`` (``j3010_1.sm`` is parameter group 10,
instance 1 of the 30-job set); :func:`instance_key` recovers ``(parameter, instance)`` from the
file name and the job count, which is what the tables are keyed by.

Everything raises :class:`PsplibFormatError` (a ``ValueError``) with the file and the reason when
the text does not match the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from twofold.engine.levelling_problem import Activity, LevellingProblem, Link, Resource

__all__ = [
    "BestKnown",
    "PsplibFormatError",
    "PsplibInstance",
    "instance_key",
    "parse_rcp",
    "parse_sm",
    "parse_value_table",
    "read_instance",
    "read_sm",
    "read_value_table",
    "to_levelling_problem",
]


class PsplibFormatError(ValueError):
    """The text is not a well-formed PSPLIB instance or value table."""


@dataclass(frozen=True)
class PsplibInstance:
    """One single-mode RCPSP instance, jobs numbered from 0 (job 0 is the dummy source).

    Attributes:
        name: file stem, e.g. ``"j301_1"``.
        durations: duration of each job in periods (dummies have 0).
        successors: for each job, the indices of its finish-to-start (zero lag) successors.
        demands: for each job, its per-period demand on each renewable resource.
        capacities: constant per-period capacity of each renewable resource.
        horizon: the file's horizon (sum of durations; an upper bound on the makespan).
        cpm_makespan: the file's ``MPM-Time`` (critical path length ignoring resources).
    """

    name: str
    durations: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]
    demands: tuple[tuple[int, ...], ...]
    capacities: tuple[int, ...]
    horizon: int
    cpm_makespan: int

    @property
    def job_count(self) -> int:
        """Number of jobs including the two dummies."""
        return len(self.durations)


@dataclass(frozen=True)
class BestKnown:
    """A table's entry for one instance.

    Attributes:
        makespan: the optimum or best-known (upper bound) makespan in periods.
        proven_optimal: True when the table says the value is a proven optimum.
        lower_bound: the table's lower bound when it gives one, else None.
    """

    makespan: int
    proven_optimal: bool
    lower_bound: int | None = None


_SECTION_RULE = re.compile(r"^\*{10,}\s*$", re.MULTILINE)


def _ints(line: str) -> list[int]:
    return [int(token) for token in line.split()]


def parse_sm(text: str, name: str = "instance") -> PsplibInstance:
    """Parse the text of a single-mode ``.sm`` instance file.

    Raises:
        PsplibFormatError: a section is missing, a job has more than one mode, or the numbers
            are inconsistent (job count, resource count).
    """
    try:
        return _parse_sm(text, name)
    except (IndexError, ValueError, KeyError) as error:
        if isinstance(error, PsplibFormatError):
            raise
        raise PsplibFormatError(f"{name}: not a PSPLIB .sm instance ({error})") from error


def _parse_sm(text: str, name: str) -> PsplibInstance:
    jobs_match = re.search(r"jobs \(incl\. supersource/sink \):\s*(\d+)", text)
    horizon_match = re.search(r"horizon\s*:\s*(\d+)", text)
    renewable_match = re.search(r"-\s*renewable\s*:\s*(\d+)", text)
    if not (jobs_match and horizon_match and renewable_match):
        raise PsplibFormatError(f"{name}: header lacks jobs, horizon or renewable count")
    job_count = int(jobs_match.group(1))
    resource_count = int(renewable_match.group(1))

    sections = {_section_title(chunk): chunk for chunk in _SECTION_RULE.split(text)}
    project_lines = _data_lines(sections["PROJECT INFORMATION:"])
    cpm_makespan = _ints(project_lines[0])[-1]

    successors: list[tuple[int, ...]] = [()] * job_count
    for line in _data_lines(sections["PRECEDENCE RELATIONS:"]):
        numbers = _ints(line)
        job, modes, count = numbers[0], numbers[1], numbers[2]
        if modes != 1:
            raise PsplibFormatError(f"{name}: job {job} has {modes} modes; only single-mode")
        listed = tuple(successor - 1 for successor in numbers[3 : 3 + count])
        if len(listed) != count:
            raise PsplibFormatError(f"{name}: job {job} lists too few successors")
        successors[job - 1] = listed

    durations = [0] * job_count
    demands: list[tuple[int, ...]] = [()] * job_count
    for line in _data_lines(sections["REQUESTS/DURATIONS:"]):
        if line.startswith("-"):
            continue
        numbers = _ints(line)
        if len(numbers) != 3 + resource_count:
            raise PsplibFormatError(f"{name}: request line {line!r} has the wrong length")
        durations[numbers[0] - 1] = numbers[2]
        demands[numbers[0] - 1] = tuple(numbers[3:])

    capacity_lines = _data_lines(sections["RESOURCEAVAILABILITIES:"])
    capacities = tuple(_ints(capacity_lines[-1]))
    if len(capacities) != resource_count:
        raise PsplibFormatError(f"{name}: {len(capacities)} capacities for {resource_count}")
    if any(len(row) != resource_count for row in demands):
        raise PsplibFormatError(f"{name}: some job has no request line")
    return PsplibInstance(
        name=name,
        durations=tuple(durations),
        successors=tuple(successors),
        demands=tuple(demands),
        capacities=capacities,
        horizon=int(horizon_match.group(1)),
        cpm_makespan=cpm_makespan,
    )


def _section_title(chunk: str) -> str:
    stripped = chunk.strip()
    return stripped.splitlines()[0].strip() if stripped else ""


def _data_lines(chunk: str) -> list[str]:
    """The lines of a section that start with a number (column titles and rules dropped)."""
    return [line.strip() for line in chunk.splitlines() if line.strip()[:1].isdigit()]


def read_sm(path: Path) -> PsplibInstance:
    """Read and parse an ``.sm`` file (see :func:`parse_sm`); raises OSError if unreadable."""
    return parse_sm(path.read_text(encoding="ascii", errors="replace"), name=path.stem)


def parse_rcp(text: str, name: str = "instance") -> PsplibInstance:
    """Parse a single-mode instance in Patterson's format (``.rcp``).

    The numbers are read as one stream, so a job's successor list may wrap onto further lines:
    job and resource counts; each resource's capacity; then per job its duration, its demand on
    each resource, its successor count and its successors (1-based). The first job is the
    source and the last the sink, as in ``.sm``; the horizon is the sum of the durations and
    the critical path is computed (the format stores neither).

    Raises:
        PsplibFormatError: too few numbers, a successor out of range, or a cycle.
    """
    try:
        numbers = [int(token) for token in text.split()]
    except ValueError as error:
        raise PsplibFormatError(f"{name}: not a Patterson .rcp instance ({error})") from error
    position = 0

    def take(count: int, what: str) -> list[int]:
        nonlocal position
        if position + count > len(numbers):
            raise PsplibFormatError(f"{name}: the file ends inside {what}")
        values = numbers[position : position + count]
        position += count
        return values

    job_count, resource_count = take(2, "the header")
    if job_count < 2 or resource_count < 0:
        raise PsplibFormatError(f"{name}: {job_count} jobs and {resource_count} resources")
    capacities = tuple(take(resource_count, "the capacities"))
    durations: list[int] = []
    demands: list[tuple[int, ...]] = []
    successors: list[tuple[int, ...]] = []
    for job in range(1, job_count + 1):
        duration, *demand = take(1 + resource_count, f"job {job}")
        (count,) = take(1, f"job {job}")
        listed = take(count, f"job {job}'s successors")
        if duration < 0 or any(value < 0 for value in demand) or count < 0:
            raise PsplibFormatError(f"{name}: job {job} has a negative number")
        if any(not 1 <= successor <= job_count or successor == job for successor in listed):
            raise PsplibFormatError(f"{name}: job {job} names a successor out of range")
        durations.append(duration)
        demands.append(tuple(demand))
        successors.append(tuple(successor - 1 for successor in listed))
    if position != len(numbers):
        raise PsplibFormatError(f"{name}: {len(numbers) - position} numbers after the last job")
    return PsplibInstance(
        name=name,
        durations=tuple(durations),
        successors=tuple(successors),
        demands=tuple(demands),
        capacities=capacities,
        horizon=sum(durations),
        cpm_makespan=_critical_path(name, durations, successors),
    )


def _critical_path(name: str, durations: list[int], successors: list[tuple[int, ...]]) -> int:
    """Longest finish over finish-to-start links (Kahn's order; a cycle is a format error)."""
    waiting = [0] * len(durations)
    for listed in successors:
        for successor in listed:
            waiting[successor] += 1
    early = [0] * len(durations)
    ready = [job for job, count in enumerate(waiting) if count == 0]
    done = 0
    while ready:
        job = ready.pop()
        done += 1
        finish = early[job] + durations[job]
        for successor in successors[job]:
            early[successor] = max(early[successor], finish)
            waiting[successor] -= 1
            if waiting[successor] == 0:
                ready.append(successor)
    if done != len(durations):
        raise PsplibFormatError(f"{name}: the precedence relations contain a cycle")
    return max((start + d for start, d in zip(early, durations, strict=True)), default=0)


def read_instance(path: Path) -> PsplibInstance:
    """Read an instance file: Patterson's format for ``.rcp``, else PSPLIB's ``.sm``."""
    if path.suffix.lower() == ".rcp":
        return parse_rcp(path.read_text(encoding="ascii", errors="replace"), name=path.stem)
    return read_sm(path)


def instance_key(name: str, job_count: int) -> tuple[int, int]:
    """``(parameter, instance)`` of an instance named ``j<size><parameter>_<instance>``.

    ``job_count`` includes the two dummies, so the set size is ``job_count - 2``; it resolves
    the ambiguity in names such as ``j3010_1`` (set 30, parameter 10).

    Raises:
        PsplibFormatError: the name does not follow the pattern.
    """
    match = re.fullmatch(rf"j{job_count - 2}(\d+)_(\d+)", name)
    if match is None:
        match = re.fullmatch(r"[A-Za-z]+\d*?(\d{1,2})_(\d+)", name)
    if match is None:
        raise PsplibFormatError(f"{name}: not named j<size><parameter>_<instance>")
    return int(match.group(1)), int(match.group(2))


def parse_value_table(text: str, name: str = "table") -> dict[tuple[int, int], BestKnown]:
    """Parse an optimum / best-known table into ``{(parameter, instance): BestKnown}``.

    Accepted formats: rows ``Par Inst Makespan ...`` (``j30opt.sm``, ``j*hrs.sm``), rows
    ``Par Inst UB LB [*]`` (``j60lb.sm``; ``*`` marks a proven optimum) and Creemers'
    semicolon-separated ``ID;Type;Value;...`` CSV (``ID = (Par-1)*10 + Inst``). Only
    ``j30opt.sm``-style tables (titled with "Makespan CPU-Time") are taken as proven optima.

    Raises:
        PsplibFormatError: no row could be read.
    """
    text = text.lstrip("\ufeff")
    table = _parse_csv_table(text) if "ID;Type;Value" in text else _parse_row_table(text)
    if not table:
        raise PsplibFormatError(f"{name}: no instance rows found")
    return table


def _parse_row_table(text: str) -> dict[tuple[int, int], BestKnown]:
    optimum_table = re.search(r"Makespan\s+CPU-Time", text) is not None
    bounds_table = re.search(r"\bUB\s+LB\b", text) is not None
    table: dict[tuple[int, int], BestKnown] = {}
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 3 or not all(token.isdigit() for token in tokens[:3]):
            continue
        key = (int(tokens[0]), int(tokens[1]))
        makespan = int(tokens[2])
        if bounds_table and len(tokens) >= 4 and tokens[3].isdigit():
            lower = int(tokens[3])
            proven = lower == makespan and "*" in tokens[4:5]
            table[key] = BestKnown(makespan, proven, lower)
        else:
            table[key] = BestKnown(makespan, optimum_table, makespan if optimum_table else None)
    return table


def _parse_csv_table(text: str) -> dict[tuple[int, int], BestKnown]:
    upper: dict[int, tuple[int, bool]] = {}
    lower: dict[int, int] = {}
    for line in text.splitlines():
        fields = line.strip().split(";")
        if len(fields) < 3 or not fields[0].isdigit() or not fields[2].strip().isdigit():
            continue
        identifier, kind, value = int(fields[0]), fields[1].strip().lower(), int(fields[2])
        if kind == "lower bound":
            lower[identifier] = value
        elif kind in ("optimal", "heuristic"):
            upper[identifier] = (value, kind == "optimal")
    table: dict[tuple[int, int], BestKnown] = {}
    for identifier, (value, proven) in upper.items():
        key = ((identifier - 1) // 10 + 1, (identifier - 1) % 10 + 1)
        table[key] = BestKnown(value, proven, value if proven else lower.get(identifier))
    return table


def read_value_table(path: Path) -> dict[tuple[int, int], BestKnown]:
    """Read and parse a value table file (see :func:`parse_value_table`)."""
    return parse_value_table(path.read_text(encoding="utf-8", errors="replace"), name=path.name)


def to_levelling_problem(instance: PsplibInstance) -> LevellingProblem:
    """The instance as an engine levelling problem (jobs in file order, all links FS lag 0)."""
    resources = tuple(
        Resource(f"R{number}", capacity) for number, capacity in enumerate(instance.capacities, 1)
    )
    activities = tuple(
        Activity(f"job {job + 1}", duration, instance.demands[job])
        for job, duration in enumerate(instance.durations)
    )
    links = tuple(
        Link(job, successor)
        for job, successors in enumerate(instance.successors)
        for successor in successors
    )
    return LevellingProblem(activities, resources, links)
