"""Checking a drafted handover part: the values each operations service will take, as JSON.

The same rules as the operations forms and services (a routine's recurrence through
``operations.recurrence``, a KPI's thresholds through the engine's ``KpiTarget``), checked when
the project team drafts the part so a handover that would fail is refused early, naming the
field. The operations services check again on acceptance, inside its transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from twofold.accounts.fiscal import today_of
from twofold.accounts.models import Membership, Team
from twofold.calendars.models import Calendar
from twofold.closeout.models import DocumentKind, PartKind
from twofold.core.dates import format_day
from twofold.core.errors import Invalid
from twofold.engine.kpi_status import GoodDirection as EngineDirection
from twofold.engine.kpi_status import KpiTarget
from twofold.improvement.models import Handover
from twofold.operations import recurrence
from twofold.operations.models import (
    DEFAULT_SLA_HOURS,
    Evidence,
    Frequency,
    GoodDirection,
    Kpi,
    Priority,
    Queue,
    Routine,
    ShiftRule,
)
from twofold.operations.services import FIRST_DAY, LARGEST, LAST_DAY

FIELDS: dict[str, tuple[str, ...]] = {
    PartKind.PROCESS: ("description", "team_id"),
    PartKind.ROUTINE: (
        "description",
        "rrule",
        "starts_on",
        "due_time",
        "shift",
        "effort_minutes",
        "assignee_id",
        "calendar_id",
        "steps",
    ),
    PartKind.KPI: (
        "description",
        "unit",
        "good_direction",
        "target",
        "amber_threshold",
        "red_threshold",
        "frequency",
    ),
    PartKind.QUEUE: ("description", "calendar_id", "sla_hours"),
    PartKind.DOCUMENT: ("doc_kind",),
}
EXISTING_MODEL: dict[str, type[Any]] = {
    PartKind.ROUTINE: Routine,
    PartKind.KPI: Kpi,
    PartKind.QUEUE: Queue,
}
MAX_STEPS = 40


def _text(spec: dict[str, Any], key: str, limit: int) -> str:
    value = spec.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{key} is text.", field=key)
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"Keep {key.replace('_', ' ')} under {limit} characters.", field=key)
    return value


def _number(spec: dict[str, Any], key: str, *, required: bool, label: str) -> float | None:
    value = spec.get(key)
    if value is None or value == "":
        if required:
            raise Invalid(f"Give the {label}.", field=key)
        return None
    if isinstance(value, bool):
        raise Invalid(f"The {label} must be a number.", field=key)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"The {label} must be a number.", field=key) from exc
    if not math.isfinite(number) or abs(number) > LARGEST:
        # The limit acceptance applies (operations.services): refused when drafting, not at
        # acceptance after the checklist was ticked.
        raise Invalid(f"The {label} must be a finite number of at most 10^15.", field=key)
    return number


def _member_id(handover: Handover, value: Any, key: str) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("Choose a person by id.", field=key)
    if not Membership.objects.filter(
        organisation_id=handover.organisation_id, user_id=value
    ).exists():
        raise Invalid("That person is not a member of this organisation.", field=key)
    return value


def _calendar_id(handover: Handover, value: Any, *, required: bool) -> int | None:
    if value in (None, ""):
        if not required:
            return None
        default = (
            Calendar.objects.filter(organisation_id=handover.organisation_id)
            .order_by("-is_default", "name")
            .values_list("pk", flat=True)
            .first()
        )
        if default is None:
            raise Invalid("Choose the business calendar the queue runs on.", field="calendar_id")
        return int(default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("Choose a calendar by id.", field="calendar_id")
    if not Calendar.objects.filter(organisation_id=handover.organisation_id, pk=value).exists():
        raise Invalid("Choose a calendar of this organisation.", field="calendar_id")
    return value


def check_kpi_direction(direction: str, target: float, amber: float | None, red: float) -> None:
    """A target that contradicts its direction is refused naming ``target``; amber outside the
    range from target to red names ``amber_threshold`` (the engine's ``KpiTarget`` rule)."""
    up = direction == GoodDirection.UP
    words = "higher is better" if up else "lower is better"
    if (up and target < red) or (not up and target > red):
        raise Invalid(
            f"With “{words}” the target ({target:g}) must be "
            f"{'at or above' if up else 'at or below'} the red threshold ({red:g}).",
            field="target",
        )
    try:
        KpiTarget(target, EngineDirection(direction), red, amber)
    except ValueError as exc:
        raise Invalid(
            f"With “{words}” the amber threshold ({amber:g}) must lie between the target "
            f"({target:g}) and the red threshold ({red:g}).",
            field="amber_threshold",
        ) from exc


def _kpi(spec: dict[str, Any]) -> dict[str, Any]:
    direction = spec.get("good_direction") or GoodDirection.UP
    if direction not in GoodDirection.values:
        raise Invalid("Good direction is up or down.", field="good_direction")
    frequency = spec.get("frequency") or Frequency.WEEKLY
    if frequency not in Frequency.values:
        raise Invalid("Frequency is daily, weekly or monthly.", field="frequency")
    target = _number(spec, "target", required=True, label="target")
    amber = _number(spec, "amber_threshold", required=False, label="amber threshold")
    red = _number(spec, "red_threshold", required=True, label="red threshold")
    assert target is not None and red is not None
    check_kpi_direction(direction, target, amber, red)
    return {
        "description": _text(spec, "description", 2000),
        "unit": _text(spec, "unit", 20),
        "good_direction": direction,
        "target": target,
        "amber_threshold": amber,
        "red_threshold": red,
        "frequency": frequency,
    }


def _steps(raw: Any) -> list[dict[str, str]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise Invalid("Steps are a list.", field="steps")
    steps = []
    for position, step in enumerate(raw, start=1):
        if isinstance(step, str):
            step = {"text": step}
        if not isinstance(step, dict) or not isinstance(step.get("text"), str):
            raise Invalid(f"Step {position} needs a text.", field="steps")
        text = " ".join(step["text"].split())
        if not text:
            continue
        if len(text) > 200:
            raise Invalid(f"Step {position}: at most 200 characters.", field="steps")
        evidence = str(step.get("evidence") or Evidence.NONE.value)
        if evidence not in Evidence.values:
            raise Invalid(f"Step {position}: unknown evidence {evidence!r}.", field="steps")
        row: dict[str, Any] = {"text": text, "evidence": evidence}
        if evidence == Evidence.NUMBER:
            low = _number(step, "min_value", required=False, label=f"step {position} minimum")
            high = _number(step, "max_value", required=False, label=f"step {position} maximum")
            if low is not None and high is not None and high < low:
                raise Invalid(f"Step {position}: the maximum is below the minimum.", field="steps")
            unit = step.get("unit") or ""
            if not isinstance(unit, str) or len(unit) > 20:
                raise Invalid(f"Step {position}: a unit of at most 20 characters.", field="steps")
            row.update(min_value=low, max_value=high, unit=unit.strip())
        steps.append(row)
    if len(steps) > MAX_STEPS:
        raise Invalid(f"A routine has at most {MAX_STEPS} steps.", field="steps")
    return steps


def _routine(handover: Handover, spec: dict[str, Any]) -> dict[str, Any]:
    raw_start = spec.get("starts_on") or today_of(handover.organisation).isoformat()
    try:
        starts_on = dt.date.fromisoformat(str(raw_start))
    except ValueError as exc:
        raise Invalid("The start date is a date like 2027-01-04.", field="starts_on") from exc
    if not FIRST_DAY <= starts_on <= LAST_DAY:
        # The range ``create_routine`` takes, refused when drafting rather than at acceptance
        # (a start in the year 9999 answered 500 here until 2026-12-06).
        raise Invalid("The start date must fall between 1980 and 2149.", field="starts_on")
    rrule = _text(spec, "rrule", 200)
    if not rrule:
        raise Invalid("Say how often the routine repeats.", field="rrule")
    try:
        recurrence.parse_rule(rrule, starts_on)
    except ValueError as exc:
        raise Invalid(str(exc), field="rrule") from exc
    raw_time = spec.get("due_time") or "17:00"
    try:
        due_time = dt.time.fromisoformat(str(raw_time))
    except ValueError as exc:
        raise Invalid("The due time is a time like 09:30.", field="due_time") from exc
    shift = spec.get("shift") or ShiftRule.NONE
    if shift not in ShiftRule.values:
        raise Invalid("Unknown shift rule.", field="shift")
    effort = spec.get("effort_minutes", 30)
    if not isinstance(effort, int) or isinstance(effort, bool) or not 0 < effort <= 24 * 60 * 5:
        raise Invalid(
            "Expected effort is a whole number of minutes, 1 minute to 5 days.",
            field="effort_minutes",
        )
    return {
        "description": _text(spec, "description", 2000),
        "rrule": rrule,
        "starts_on": starts_on.isoformat(),
        "due_time": due_time.strftime("%H:%M"),
        "shift": shift,
        "effort_minutes": effort,
        "assignee_id": _member_id(handover, spec.get("assignee_id"), "assignee_id"),
        "calendar_id": _calendar_id(handover, spec.get("calendar_id"), required=False),
        "steps": _steps(spec.get("steps")),
    }


def _sla(raw: Any) -> dict[str, dict[str, float]]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise Invalid(
            "SLA targets map p1 to p4 to response and resolution hours.", field="sla_hours"
        )
    unknown = sorted(set(map(str, raw)) - set(Priority.values))
    if unknown:
        raise Invalid(f"Unknown priority {unknown[0]!r}: use p1 to p4.", field="sla_hours")
    hours = {}
    for p in Priority.values:
        entry = raw.get(p) or DEFAULT_SLA_HOURS[p]
        if not isinstance(entry, dict):
            raise Invalid(f"{p.upper()} needs response and resolution hours.", field="sla_hours")
        response = _number(entry, "response", required=True, label=f"{p.upper()} response hours")
        resolution = _number(
            entry, "resolution", required=True, label=f"{p.upper()} resolution hours"
        )
        assert response is not None and resolution is not None
        if response <= 0 or resolution <= 0:
            raise Invalid("SLA targets must be positive numbers of hours.", field="sla_hours")
        if resolution < response:
            raise Invalid(
                f"{p.upper()}: the resolution target cannot be shorter than the first response.",
                field="sla_hours",
            )
        hours[p] = {"response": response, "resolution": resolution}
    return hours


def clean_spec(handover: Handover, kind: str, spec: Any) -> dict[str, Any]:
    """The part's values, checked and JSON-ready; ``Invalid`` names the first bad field."""
    if kind not in PartKind.values:
        raise Invalid(f"Unknown kind {kind!r}.", field="kind")
    if not isinstance(spec, dict):
        raise Invalid("Send the part's values as an object.", field="spec")
    unknown = sorted(set(spec) - set(FIELDS[kind]))
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]} for a {PartKind(kind).label}.", field=unknown[0])
    if kind == PartKind.KPI:
        return _kpi(spec)
    if kind == PartKind.ROUTINE:
        return _routine(handover, spec)
    if kind == PartKind.QUEUE:
        return {
            "description": _text(spec, "description", 2000),
            "calendar_id": _calendar_id(handover, spec.get("calendar_id"), required=True),
            "sla_hours": _sla(spec.get("sla_hours")),
        }
    if kind == PartKind.PROCESS:
        description = _text(spec, "description", 5000)
        team_id = spec.get("team_id")
        if team_id not in (None, ""):
            if not isinstance(team_id, int) or isinstance(team_id, bool):
                raise Invalid("Choose a team by id.", field="team_id")
            if not Team.objects.filter(
                organisation_id=handover.organisation_id, pk=team_id
            ).exists():
                raise Invalid("Choose a team of this organisation.", field="team_id")
        else:
            team_id = None
        if not description and team_id is None:
            raise Invalid(
                "Say what changes in the process: its description or team.", field="description"
            )
        return {"description": description, "team_id": team_id}
    doc_kind = spec.get("doc_kind") or DocumentKind.OTHER
    if doc_kind not in DocumentKind.values:
        raise Invalid("A document is a runbook, a training record or other.", field="doc_kind")
    return {"doc_kind": doc_kind}


def check_existing(handover: Handover, kind: str, existing_id: Any) -> int | None:
    """A routine, KPI or queue of the receiving process to change instead of creating one."""
    if existing_id in (None, ""):
        return None
    model = EXISTING_MODEL.get(kind)
    if model is None:
        raise Invalid(
            f"A {PartKind(kind).label.lower()} cannot replace anything.", field="existing_id"
        )
    if not isinstance(existing_id, int) or isinstance(existing_id, bool):
        raise Invalid("Choose what to change by id.", field="existing_id")
    if handover.process_id is None:
        raise Invalid(
            f"The new process has no {PartKind(kind).label.lower()} to change yet: draft a new one.",
            field="existing_id",
        )
    if not model.objects.filter(pk=existing_id, process_id=handover.process_id).exists():
        raise Invalid(
            f"Choose a {PartKind(kind).label.lower()} of {handover.receiving_name} to change.",
            field="existing_id",
        )
    return existing_id


def describe(kind: str, name: str, spec: dict[str, Any]) -> str:
    """A drafted part in one line of plain words, for the handover page."""
    try:
        if kind == PartKind.ROUTINE:
            words = recurrence.describe(spec["rrule"])
            steps = len(spec.get("steps", []))
            return (
                f"{words}, due {spec['due_time']}, from "
                f"{format_day(dt.date.fromisoformat(spec['starts_on']))} · "
                f"{spec['effort_minutes']} min · {steps} step{'s' if steps != 1 else ''}"
            )
        if kind == PartKind.KPI:
            better = "higher is better" if spec["good_direction"] == "up" else "lower is better"
            unit = f" {spec['unit']}" if spec.get("unit") else ""
            amber = spec.get("amber_threshold")
            amber_text = f", amber {amber:g}" if amber is not None else ""
            return (
                f"{Frequency(spec['frequency']).label} · {better} · target {spec['target']:g}"
                f"{unit}{amber_text}, red {spec['red_threshold']:g}"
            )
        if kind == PartKind.QUEUE:
            hours = spec["sla_hours"]
            return "SLA " + ", ".join(
                f"{p.upper()} {hours[p]['response']:g}/{hours[p]['resolution']:g} h"
                for p in Priority.values
            )
        if kind == PartKind.PROCESS:
            return spec.get("description") or "New team"
        return str(DocumentKind(spec.get("doc_kind", "other")).label)
    except (KeyError, TypeError, ValueError):
        return name
