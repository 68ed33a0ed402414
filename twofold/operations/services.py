"""Writes for operations. Each: check permission, one transaction, history, side effects on commit."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.core import dates, history, trash
from twofold.core.concurrency import lock_rows, require_current, save_versioned
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.engine.kpi_status import GoodDirection as EngineDirection
from twofold.engine.kpi_status import KpiTarget
from twofold.engine.sla import SlaState
from twofold.operations import deviations, evidence_files, plausibility, recurrence, selectors
from twofold.operations.calendars import engine_calendar, local
from twofold.operations.models import (
    DEFAULT_SLA_HOURS,
    DONE_STATUSES,
    BusinessCalendar,
    Evidence,
    Frequency,
    GoodDirection,
    Kpi,
    Measurement,
    Occurrence,
    OccurrenceStatus,
    Priority,
    Process,
    Queue,
    Request,
    RequestEvent,
    Routine,
    RoutineStep,
    ShiftRule,
    SpendEntry,
    Status,
    StepEvidence,
)
from twofold.operations.plausibility import Doubt

logger = logging.getLogger(__name__)

PROCESS_FIELDS = ["name", "description", "owner", "team", "annual_budget"]
KPI_FIELDS = [
    "name",
    "description",
    "unit",
    "good_direction",
    "target",
    "amber_threshold",
    "red_threshold",
    "frequency",
    "baseline_start",
    "baseline_end",
    "plausibility_spreads",
]
ROUTINE_FIELDS = [
    "critical",
    "name",
    "description",
    "rrule",
    "starts_on",
    "due_time",
    "shift",
    "calendar",
    "assignee",
    "effort_minutes",
    "active",
]
GENERATE_DAYS = 30
MAX_CSV_ROWS = 20_000
MAX_MONEY = Decimal(10) ** 10
"""Spend is stored with 12 digits, 2 after the point: less than ten billion."""
MAX_BUDGET = Decimal(10) ** 12
"""The annual budget is this fiscal year's budget (costs.budget_sync), stored with 14 digits:
the same limit as the fiscal-year page (a budget set there above ten billion made every later
edit of the process answer 422, on a field the user had not touched)."""
FIRST_DAY, LAST_DAY = dt.date(1980, 1, 1), dt.date(2149, 12, 31)
"""The dates the business calendars (and so routines) cover."""


def _unknown(values: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]}.", field=unknown[0])


def _not_null(values: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Refuse None for fields that cannot be empty (rather than storing it or "None")."""
    for key in fields:
        if key in values and values[key] is None:
            raise Invalid(f"{key} cannot be null.", field=key)


AMOUNT_CHECKS: list[Callable[[int, Decimal, str, str], None]] = []
"""Joining apps that know the organisation's currency check an amount's decimals against it
(the costs app: a yen has none), called as ``check(organisation_id, amount, field, what)`` and
raising ``Invalid``: operations imports no costs module."""


def _money(
    raw: Any,
    field: str,
    what: str,
    limit: Decimal = MAX_MONEY,
    *,
    organisation_id: int | None = None,
) -> Decimal:
    """``raw`` as a Decimal with 2 places that fits the database column, else Invalid; with
    ``organisation_id``, also no more decimals than the organisation's currency has."""
    try:
        money = Decimal(str(raw))
    except InvalidOperation as exc:
        raise Invalid(f"The {what} must be a number.", field=field) from exc
    if not money.is_finite():
        raise Invalid(f"The {what} must be a number.", field=field)
    if abs(money) >= limit:
        raise Invalid(f"The {what} must be less than {limit:,.0f}.", field=field)
    if money != money.quantize(Decimal("0.01")):
        # As the pages refuse it: the API's 12.345 was stored as 12.34 unsaid.
        raise Invalid(f"The {what} has at most 2 decimal places.", field=field)
    if organisation_id is not None:
        for check in AMOUNT_CHECKS:
            check(organisation_id, money, field, f"The {what}")
    return money.quantize(Decimal("0.01"))


def _check_member(organisation: Organisation, user: User | None, field: str) -> None:
    if (
        user is not None
        and not Membership.objects.filter(organisation=organisation, user=user).exists()
    ):
        raise Invalid("That person is not a member of this organisation.", field=field)


def check_worker(
    organisation_id: int, user: User | None, *, work: str, field: str = "assignee"
) -> None:
    """Refuse anyone who is not a member, and guests (they only look on: a guest named to a
    request or routine could never work it), naming ``field``; ``work`` is what is assigned
    ("requests", "routines"). None (unassigned) passes."""
    if user is None:
        return
    role = (
        Membership.objects.filter(organisation_id=organisation_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Invalid("That person is not a member of this organisation.", field=field)
    if role == Role.GUEST:
        raise Invalid(f"Guests cannot be assigned {work}; choose a member.", field=field)


def _check_same_org(organisation: Organisation, obj: Any, field: str) -> None:
    if obj is not None and obj.organisation_id != organisation.pk:
        raise Invalid("That choice belongs to another organisation.", field=field)


def check_live_process(process: Process | None, current_id: int | None = None) -> None:
    """Nothing new goes on an archived process (the one already linked, ``current_id``, may
    stay): the pages offer live processes only, and the API took archived ones. Quality and
    improvement check their links with it too."""
    if process is not None and process.archived and process.pk != current_id:
        raise Invalid(f"{process.name} is archived: choose a live process.", field="process")


# --- Calendars ------------------------------------------------------------------------------
# Business calendars are edited in ``twofold.calendars`` (one page for projects and operations).


# --- Processes and spend ----------------------------------------------------------------------


def _check_process_values(
    organisation: Organisation, values: dict[str, Any], process: Process | None
) -> None:
    _not_null(values, ["name", "description", "annual_budget"])
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A process needs a name.", field="name")
        # A process in the trash keeps its name until it is purged (so it can come back).
        clash = Process.all_objects.filter(organisation=organisation, name__iexact=values["name"])
        if process is not None:
            clash = clash.exclude(pk=process.pk)
        taken = list(clash.values_list("deleted_at", flat=True)[:1])
        if taken:
            where = " in the trash" if taken[0] is not None else ""
            raise Invalid(
                f"There is already a process called {values['name']}{where}.", field="name"
            )
    if "annual_budget" in values:
        budget = _money(
            values["annual_budget"],
            "annual_budget",
            "budget",
            MAX_BUDGET,
            organisation_id=organisation.pk,
        )
        if budget < 0:
            raise Invalid("The budget cannot be negative.", field="annual_budget")
        values["annual_budget"] = budget
    _check_member(organisation, values.get("owner"), "owner")
    owner = values.get("owner")
    if (
        owner is not None
        and Membership.objects.filter(
            organisation=organisation, user=owner, role=Role.GUEST
        ).exists()
    ):
        # The process owner verifies and closes its nonconformances; a guest only reads.
        raise Invalid("A guest cannot own a process: choose a member.", field="owner")
    team = values.get("team")
    if isinstance(team, Team):
        _check_same_org(organisation, team, "team")


@transaction.atomic
def create_process(*, actor: User, organisation: Organisation, name: str, **values: Any) -> Process:
    require(actor, Action.MANAGE, organisation)
    _unknown(values, PROCESS_FIELDS)
    values["name"] = name
    _check_process_values(organisation, values, None)
    try:
        process = Process.objects.create(organisation=organisation, **values)
    except IntegrityError as exc:  # pragma: no cover - raced with another create
        raise Invalid("There is already a process with that name.", field="name") from exc
    history.record(actor=actor, obj=process, action="created", summary=f"Created {process.name}")
    return process


@transaction.atomic
def update_process(
    *, actor: User, process: Process, expected_version: int | None, **values: Any
) -> Process:
    require(actor, Action.MANAGE, process)
    _unknown(values, PROCESS_FIELDS)
    _check_process_values(process.organisation, values, process)
    before = history.snapshot(process, values)
    for key, value in values.items():
        setattr(process, key, value)
    save_versioned(process, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(process, values))
    if changes:
        history.record(actor=actor, obj=process, action="updated", changes=changes)
    return process


@transaction.atomic
def add_spend(
    *,
    actor: User,
    process: Process,
    spent_on: dt.date,
    amount: Decimal | float | str,
    description: str,
) -> SpendEntry:
    """Record money spent on the process (its owner while a member, admins and owners: who
    sees its money; others get ``Forbidden`` and nothing is written)."""
    require(actor, Action.EDIT, process)
    selectors.require_process_money(actor, process)
    dates.require_day_in_range(spent_on, "spent_on")
    money = _money(amount, "amount", "amount", organisation_id=process.organisation_id)
    if money == 0:
        raise Invalid("The amount must be a non-zero number.", field="amount")
    description = description.strip()
    if not description:
        raise Invalid("Say what the money was spent on.", field="description")
    entry = SpendEntry.objects.create(
        organisation_id=process.organisation_id,
        process=process,
        spent_on=spent_on,
        amount=money,
        description=description,
        created_by=actor,
    )
    history.record(
        actor=actor,
        obj=process,
        action="spend added",
        summary=f"{money} on {spent_on.isoformat()}: {description}",
    )
    return entry


# --- KPIs and measurements ---------------------------------------------------------------------


def refresh_kpi_states(kpis: Iterable[Kpi]) -> None:
    """Store each KPI's overview state and latest value (a rollup of its measurements)."""
    kpi_list = list(kpis)
    for view in selectors.kpi_views(kpi_list):
        view.kpi.state = view.state
        view.kpi.latest_value = view.latest
    Kpi.objects.bulk_update(kpi_list, ["state", "latest_value"], batch_size=500)


def _check_baseline_days(values: Mapping[str, Any]) -> None:
    """The baseline days given (not those already stored, which an unrelated edit keeps) fall
    in the years every date takes, as the API's schema says (the page took 0001 and 9999)."""
    for key in ("baseline_start", "baseline_end"):
        dates.require_day_in_range(values.get(key), key)


def _check_kpi(values: dict[str, Any]) -> None:
    _not_null(values, ["name", "description", "unit", "good_direction", "target", "red_threshold"])
    _not_null(values, ["frequency", "plausibility_spreads"])
    if "plausibility_spreads" in values:
        try:
            spreads = _number(values["plausibility_spreads"])
        except (TypeError, ValueError) as exc:
            raise Invalid(
                "The are-you-sure margin must be a number.", field="plausibility_spreads"
            ) from exc
        if not 0.01 <= spreads <= 1000:  # the page's bounds
            raise Invalid(
                "The are-you-sure margin must be from 0.01 to 1000 spreads.",
                field="plausibility_spreads",
            )
        values["plausibility_spreads"] = spreads
    for key in ("target", "amber_threshold", "red_threshold"):
        if values.get(key) is not None:
            try:
                values[key] = _number(values[key])
            except (TypeError, ValueError) as exc:
                raise Invalid(
                    f"{key} must be a finite number of at most 10^15 in size.", field=key
                ) from exc
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A KPI needs a name.", field="name")
    if values.get("good_direction", GoodDirection.UP) not in GoodDirection.values:
        raise Invalid("Good direction is up or down.", field="good_direction")
    if values.get("frequency", Frequency.WEEKLY) not in Frequency.values:
        raise Invalid("Frequency is daily, weekly or monthly.", field="frequency")
    start, end = values.get("baseline_start"), values.get("baseline_end")
    if start and end and end < start:
        raise Invalid("The baseline must end after it starts.", field="baseline_end")


def _check_thresholds(kpi: Kpi) -> None:
    try:
        KpiTarget(
            kpi.target,
            EngineDirection(kpi.good_direction),
            kpi.red_threshold,
            kpi.amber_threshold,
        )
    except ValueError as exc:
        worse = "below" if kpi.good_direction == GoodDirection.UP else "above"
        raise Invalid(
            f"With “{kpi.get_good_direction_display().lower()}” the red and amber thresholds must "
            f"be at or {worse} the target, red no better than amber.",
            field="red_threshold",
        ) from exc


@transaction.atomic
def create_kpi(*, actor: User, process: Process, **values: Any) -> Kpi:
    require(actor, Action.MANAGE, process)
    _unknown(values, KPI_FIELDS)
    _check_baseline_days(values)
    _check_kpi(values)
    kpi = Kpi(organisation_id=process.organisation_id, process=process, **values)
    _check_thresholds(kpi)
    kpi.save()
    history.record(actor=actor, obj=kpi, action="created", summary=f"Created KPI {kpi.name}")
    return kpi


@transaction.atomic
def update_kpi(*, actor: User, kpi: Kpi, expected_version: int | None, **values: Any) -> Kpi:
    require(actor, Action.MANAGE, kpi)
    _unknown(values, KPI_FIELDS)
    _check_baseline_days(values)
    merged = {
        "baseline_start": kpi.baseline_start,
        "baseline_end": kpi.baseline_end,
        **values,
    }
    _check_kpi(merged)
    values = {key: merged[key] for key in values}
    before = history.snapshot(kpi, values)
    for key, value in values.items():
        setattr(kpi, key, value)
    _check_thresholds(kpi)
    save_versioned(kpi, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(kpi, values))
    if changes:
        history.record(actor=actor, obj=kpi, action="updated", changes=changes)
    refresh_kpi_states([kpi])
    return kpi


@dataclass(frozen=True)
class RowError:
    """A problem with one input row (1-based; for CSV, the line number in the file).

    ``measurement_id`` names the value already recorded for the row's date, so the page and the
    API can offer to correct it instead."""

    row: int
    field: str | None
    message: str
    measurement_id: int | None = None


class MeasurementsInvalid(Invalid):
    """Some rows were bad; nothing was saved. ``errors`` lists every bad row; ``warnings`` the
    rows that would ask "are you sure?" (reported alongside, so one look shows everything)."""

    def __init__(self, errors: list[RowError], warnings: list[Doubt] | None = None) -> None:
        first = errors[0]
        super().__init__(
            f"{len(errors)} row{'s' if len(errors) != 1 else ''} had errors, so nothing was "
            f"saved. Row {first.row}: {first.message}",
            field=first.field,
        )
        self.errors = errors
        self.warnings = warnings or []


class MeasurementsImplausible(Invalid):
    """Rows that look wrong (future date, far outside the range, unit mix-up): nothing saved
    until the caller confirms (``confirmed=True``). ``warnings`` says why, row by row."""

    def __init__(self, warnings: list[Doubt]) -> None:
        first = warnings[0]
        rows = len({w.row for w in warnings})
        lead = "Are you sure? " if rows == 1 else f"Are you sure? {rows} rows look wrong. "
        super().__init__(lead + first.message, field=first.field)
        self.errors: list[RowError] = []
        self.warnings = warnings


def org_today(organisation_id: int) -> dt.date:
    """Today in the organisation's time zone (a measurement dated later is in the future)."""
    zone = (
        Organisation.objects.filter(pk=organisation_id).values_list("timezone", flat=True).first()
    )
    return local(timezone.now(), zone or "UTC").date()


NOT_FINITE = "not a finite number"
TOO_LARGE = "larger than 10^15 in size"
DECIMAL_COMMA = "a comma that is not between thousands"
LARGEST = 1e15
"""The largest size of a number kept (a reading, a KPI value, a threshold): beyond it the
control chart's sums overflow to infinity (1e308 and -1e308 broke the KPI page's chart)."""
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""C0 control characters but tab and line breaks: no note or date holds one (and PostgreSQL
refuses a NUL in text, so one stored would be a 500 there)."""
NOTE_LENGTH = 200
"""A measurement's note, at most (the column, the page's form and the API's schema)."""


def _number(raw: Any) -> float:
    """``raw`` as a finite float of at most :data:`LARGEST` in size; ValueError otherwise (also
    for integers too large for a float). In text, a comma is read only between thousands
    (1,234.5): "2,8" is refused, not read as 28."""
    if isinstance(raw, bool):
        raise ValueError("not a number")
    try:
        if isinstance(raw, str):
            text = raw.strip()
            if "," in text:
                if not _THOUSANDS.fullmatch(text):
                    raise ValueError(DECIMAL_COMMA)
                text = text.replace(",", "")
            value = float(text)
        else:
            value = float(raw)
    except OverflowError:
        raise ValueError(NOT_FINITE) from None
    if not math.isfinite(value):
        raise ValueError(NOT_FINITE)
    if abs(value) > LARGEST:
        raise ValueError(TOO_LARGE)
    return value


@transaction.atomic
def add_measurements(
    *,
    actor: User,
    kpi: Kpi,
    rows: Iterable[tuple[int, Any, Any, str]],
    confirmed: bool = False,
) -> list[Measurement]:
    """Save ``(row_number, date, value, note)`` rows all together, or none of them.

    All-or-nothing on purpose: a KPI series with holes silently distorts its control chart, and
    re-uploading a corrected file must not collide with half of it already saved. Every bad row
    is reported (``MeasurementsInvalid.errors``) so the file can be fixed in one go. Rows that
    look wrong (``plausibility``) are refused with ``MeasurementsImplausible`` unless
    ``confirmed``; a date that already has a value names that value so it can be corrected.
    """
    require(actor, Action.EDIT, kpi)
    # The KPI's lock first, as corrections take it: two saves at once each computed the state
    # without the other's value, and the last one stored a state missing it (a signal never
    # told). all_objects: its row alone (the live manager joins the process).
    lock_rows(Kpi.all_objects.filter(pk=kpi.pk))
    errors: list[RowError] = []
    parsed: list[tuple[dt.date, float, str]] = []
    seen: dict[dt.date, int] = {}
    for row, raw_date, raw_value, raw_note in rows:
        day: dt.date | None = None
        note = str(raw_note or "")
        if _CONTROL.search(note):
            # PostgreSQL refuses a NUL in text (a 500 there); other controls are no note.
            errors.append(RowError(row, "note", "The note holds a control character."))
        elif len(note) > NOTE_LENGTH:  # as the page and JSON refuse it (CSV cut it unsaid)
            errors.append(
                RowError(
                    row,
                    "note",
                    f"A note has at most {NOTE_LENGTH} characters (this one has {len(note)}).",
                )
            )
        if isinstance(raw_date, dt.date):
            day = raw_date
        elif _CONTROL.search(str(raw_date)):
            errors.append(RowError(row, "date", "The date holds a control character."))
        else:
            try:
                day = dt.date.fromisoformat(str(raw_date).strip())
            except ValueError:
                shown = str(raw_date)[:40]
                errors.append(RowError(row, "date", f"“{shown}” is not a date like 2025-03-31."))
        if day is not None:
            try:
                dates.require_day_in_range(day, "date")
            except Invalid as exc:  # the page, the CSV and the API take the same years
                errors.append(RowError(row, "date", exc.message))
                day = None
        try:
            value = _number(raw_value)
        except (TypeError, ValueError) as exc:
            shown = _CONTROL.sub("\ufffd", str(raw_value))
            if str(exc) == DECIMAL_COMMA:
                message = (
                    f"“{shown[:40]}”: write decimals with a point (2.8); a comma is read only "
                    "between thousands (1,234.5)."
                )
            elif str(exc) == TOO_LARGE:
                message = f"“{shown[:40]}” is larger than 10^15 in size."
            elif str(exc) == NOT_FINITE and len(shown) > 40:
                message = "That is not a finite number."
            else:
                message = f"“{shown[:40]}” is not a number."
            errors.append(RowError(row, "value", message))
            continue
        if day is None:
            continue
        if day in seen:
            errors.append(RowError(row, "date", f"{day} appears twice (also row {seen[day]})."))
            continue
        seen[day] = row
        parsed.append((day, value, note))
    existing = {
        m.measured_on: m for m in Measurement.objects.filter(kpi=kpi, measured_on__in=list(seen))
    }
    for day in sorted(existing):
        old = existing[day]
        state = "a voided value" if old.voided else "a value"
        errors.append(
            RowError(
                seen[day],
                "date",
                f"{kpi.name} already has {state} for {day} ({old.value:g}): correct that value "
                "instead.",
                measurement_id=old.pk,
            )
        )
    doubts = (
        plausibility.check_rows(
            kpi,
            [(row, day, value) for day, value, _note in parsed for row in [seen[day]]],
            today=org_today(kpi.organisation_id),
        )
        if parsed
        else []
    )
    if errors:
        errors.sort(key=lambda e: e.row)
        raise MeasurementsInvalid(errors, doubts)
    if not parsed:
        raise Invalid("There are no measurements to save.", field="rows")
    if doubts and not confirmed:
        raise MeasurementsImplausible(doubts)
    created = Measurement.objects.bulk_create(
        Measurement(
            organisation_id=kpi.organisation_id,
            kpi=kpi,
            measured_on=day,
            value=value,
            note=note,
            created_by=actor,
        )
        for day, value, note in parsed
    )
    refresh_kpi_states([kpi])
    history.record(
        actor=actor,
        obj=kpi,
        action="measurements added",
        summary=f"{len(created)} value{'s' if len(created) != 1 else ''} "
        f"from {min(seen)} to {max(seen)}",
    )
    return created


def add_measurement(
    *,
    actor: User,
    kpi: Kpi,
    measured_on: dt.date,
    value: float,
    note: str = "",
    confirmed: bool = False,
) -> Measurement:
    """One value; ``MeasurementsInvalid`` (one row, its message the row's) or
    ``MeasurementsImplausible`` if refused."""
    try:
        return add_measurements(
            actor=actor, kpi=kpi, rows=[(1, measured_on, value, note)], confirmed=confirmed
        )[0]
    except MeasurementsInvalid as exc:
        exc.message, exc.field = exc.errors[0].message, exc.errors[0].field
        exc.args = (exc.message,)
        raise


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def import_measurements_csv(
    *, actor: User, kpi: Kpi, data: bytes, confirmed: bool = False
) -> list[Measurement]:
    """CSV with a header ``date,value[,note]``; all rows saved or none (see add_measurements)."""
    require(actor, Action.EDIT, kpi)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("The file is not UTF-8 text.", field="file") from exc
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, Any, Any, str]] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "date" not in header or "value" not in header:
            raise Invalid("The first line must name the columns: date,value[,note].", field="file")
        di, vi = header.index("date"), header.index("value")
        ni = header.index("note") if "note" in header else None
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise Invalid(f"At most {MAX_CSV_ROWS} rows per file.", field="file")
            rows.append((reader.line_num, _cell(cells, di), _cell(cells, vi), _cell(cells, ni)))
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        raise Invalid(
            f"Line {reader.line_num}: not a valid CSV file ({exc}).", field="file"
        ) from exc
    return add_measurements(actor=actor, kpi=kpi, rows=rows, confirmed=confirmed)


# --- Queues and requests --------------------------------------------------------------------


SLA_MIN_HOURS = 0.05
SLA_MAX_HOURS = 10_000
"""What an SLA target may be, in business hours (the queue form's bounds too)."""


def _check_sla_hours(
    raw: Any, current: Mapping[str, Any] | None = None
) -> dict[str, dict[str, float]]:
    """All four priorities' targets from ``raw``: a priority left out keeps its ``current``
    targets (an edit) or takes the default (a new queue); one given needs both targets."""
    hours: dict[str, dict[str, float]] = {}
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise Invalid(
            "SLA targets map priorities to response and resolution hours.", field="sla_hours"
        )
    unknown = sorted(set(map(str, raw)) - set(Priority.values))
    if unknown:
        raise Invalid(f"Unknown priority {unknown[0]!r}: use p1 to p4.", field="sla_hours")
    for priority in Priority.values:
        entry: Any = raw.get(priority)
        if entry is None:
            entry = (current or {}).get(priority) or DEFAULT_SLA_HOURS[priority]
        elif not isinstance(entry, dict):
            raise Invalid(
                f"{priority.upper()} needs response and resolution targets in hours.",
                field="sla_hours",
            )
        missing = [kind for kind in ("response", "resolution") if entry.get(kind) is None]
        if missing:
            raise Invalid(
                f"{priority.upper()} needs a {missing[0]} target in hours "
                f"(sla_hours.{priority}.{missing[0]}).",
                field="sla_hours",
            )
        try:
            response, resolution = _number(entry["response"]), _number(entry["resolution"])
        except (KeyError, TypeError, ValueError) as exc:
            if str(exc) == TOO_LARGE:
                raise Invalid(
                    f"SLA targets are {SLA_MIN_HOURS:g} to {SLA_MAX_HOURS:,} hours.",
                    field="sla_hours",
                ) from exc
            raise Invalid(
                f"{priority.upper()} needs response and resolution targets in hours.",
                field="sla_hours",
            ) from exc
        if response <= 0 or resolution <= 0 or not math.isfinite(response + resolution):
            raise Invalid("SLA targets must be positive numbers of hours.", field="sla_hours")
        if not SLA_MIN_HOURS <= response <= SLA_MAX_HOURS or resolution > SLA_MAX_HOURS:
            # The form's bounds: a target of 10^15 hours ran past the calendars' horizon and
            # every page showing the clock answered 500.
            raise Invalid(
                f"SLA targets are {SLA_MIN_HOURS:g} to {SLA_MAX_HOURS:,} hours.", field="sla_hours"
            )
        if resolution < response:
            raise Invalid(
                "The resolution target cannot be shorter than the first-response target.",
                field="sla_hours",
            )
        hours[priority] = {"response": response, "resolution": resolution}
    return hours


@transaction.atomic
def create_queue(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    calendar: BusinessCalendar,
    process: Process | None = None,
    description: str = "",
    sla_hours: Any = None,
    nc_on_breach: bool = False,
) -> Queue:
    require(actor, Action.MANAGE, organisation)
    name = name.strip()
    if not name:
        raise Invalid("A queue needs a name.", field="name")
    _check_same_org(organisation, calendar, "calendar")
    _check_same_org(organisation, process, "process")
    check_live_process(process)
    if calendar is None:
        raise Invalid("A queue needs a business calendar.", field="calendar")
    queue = Queue.objects.create(
        organisation=organisation,
        name=name,
        description=description,
        calendar=calendar,
        process=process,
        sla_hours=_check_sla_hours(sla_hours),
        nc_on_breach=bool(nc_on_breach),
    )
    history.record(actor=actor, obj=queue, action="created", summary=f"Created queue {name}")
    return queue


QUEUE_FIELDS = ["name", "description", "process", "calendar", "sla_hours", "nc_on_breach"]


@transaction.atomic
def update_queue(
    *, actor: User, queue: Queue, expected_version: int | None, **values: Any
) -> Queue:
    """Edit a queue. New SLA targets (a priority left out keeps its own) or a new calendar apply
    to open requests' clocks at once (they are computed); a resolved request keeps the clock
    and outcome fixed when it was resolved."""
    require(actor, Action.MANAGE, queue)
    _unknown(values, QUEUE_FIELDS)
    _not_null(values, ["name", "description"])
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A queue needs a name.", field="name")
    if "calendar" in values:
        if values["calendar"] is None:
            raise Invalid("A queue needs a business calendar.", field="calendar")
        _check_same_org(queue.organisation, values["calendar"], "calendar")
    if "process" in values:
        _check_same_org(queue.organisation, values["process"], "process")
        check_live_process(values["process"], queue.process_id)
    if "sla_hours" in values:
        values["sla_hours"] = _check_sla_hours(values["sla_hours"], queue.sla_hours)
    if "sla_hours" in values or "calendar" in values:
        fix_due_outcomes(Request.objects.filter(queue=queue))
    before = history.snapshot(queue, values)
    for key, value in values.items():
        setattr(queue, key, value)
    save_versioned(queue, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(queue, values))
    if "sla_hours" in changes:  # readable: "P1 0.5/4 h" per priority that changed
        old_hours, new_hours = changes.pop("sla_hours")
        for p in Priority.values:
            a, b = old_hours.get(p) or DEFAULT_SLA_HOURS[p], new_hours[p]
            if (float(a["response"]), float(a["resolution"])) != (b["response"], b["resolution"]):
                changes[f"SLA {p.upper()} (response/resolution h)"] = [
                    f"{float(a['response']):g}/{float(a['resolution']):g}",
                    f"{b['response']:g}/{b['resolution']:g}",
                ]
    if changes:
        history.record(actor=actor, obj=queue, action="updated", changes=changes)
    return queue


# What else creating a request does, inside its transaction (registered from an app's
# ``ready()``: ``closeout`` records that the project team hears of requests in hypercare). Each
# step takes (actor, request).
REQUEST_CREATED_STEPS: list[Callable[[User, Request], None]] = []


@transaction.atomic
def create_request(
    *,
    actor: User,
    queue: Queue,
    title: str,
    description: str = "",
    priority: str = Priority.NORMAL,
    at: dt.datetime | None = None,
) -> Request:
    """Anyone who can see the queue and contribute may raise a request (the intake form)."""
    require(actor, Action.CONTRIBUTE, queue)
    if queue.archived:
        raise Invalid(
            f"{queue.name} is archived and takes no new requests (an admin can restore it).",
            field="queue",
        )
    title = title.strip()
    if not title:
        raise Invalid("Give the request a short title.", field="title")
    if priority not in Priority.values:
        raise Invalid(f"Unknown priority {priority!r}.", field="priority")
    moment = at or timezone.now()
    request = Request.objects.create(
        organisation_id=queue.organisation_id,
        queue=queue,
        title=title,
        description=description,
        priority=priority,
        requester=actor,
        created_at=moment,
    )
    RequestEvent.objects.create(
        organisation_id=queue.organisation_id,
        request=request,
        at=moment,
        to_status=Status.NEW,
        actor=actor,
    )
    history.record(actor=actor, obj=request, action="created", summary=title)
    for step in REQUEST_CREATED_STEPS:  # e.g. closeout: hypercare tells the project team
        step(actor, request)
    return request


ALLOWED_MOVES: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED},
    Status.WAITING: {Status.IN_PROGRESS, Status.RESOLVED},
    Status.RESOLVED: {Status.IN_PROGRESS, Status.CLOSED},
    Status.CLOSED: set(),
}


@transaction.atomic
def change_request_status(
    *,
    actor: User,
    request: Request,
    status: str,
    expected_version: int | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Request:
    """Move a request; waiting pauses its SLA clocks, leaving "new" is the first response."""
    require(actor, Action.EDIT, request)
    if status not in Status.values:
        raise Invalid(f"Unknown status {status!r}.", field="status")
    old = request.status
    if status == old:
        raise Invalid(f"The request is already {Status(old).label.lower()}.", field="status")
    if status not in ALLOWED_MOVES[old]:
        raise Invalid(
            f"A {Status(old).label.lower()} request cannot move to {Status(status).label.lower()}.",
            field="status",
        )
    moment = at or timezone.now()
    fields = ["status"]
    request.status = status
    if request.first_response_at is None:
        request.first_response_at = moment
        fields.append("first_response_at")
    if status in DONE_STATUSES and request.resolved_at is None:
        request.resolved_at = moment
        fields.append("resolved_at")
    elif status not in DONE_STATUSES and request.resolved_at is not None:
        request.resolved_at = None  # reopened: the resolution clock runs again
        fields.append("resolved_at")
    save_versioned(request, expected_version=expected_version, fields=fields)
    RequestEvent.objects.create(
        organisation_id=request.organisation_id,
        request=request,
        at=moment,
        from_status=old,
        to_status=status,
        actor=actor,
        note=note[:300],
    )
    if (
        (status in DONE_STATUSES) != (old in DONE_STATUSES)
        or request.resolution_met is None
        or request.response_met is None  # answered now (or before the verdict was kept)
    ):
        refresh_sla_outcomes([request.pk])
        request.refresh_from_db(fields=SLA_OUTCOME_FIELDS)
    history.record(
        actor=actor,
        obj=request,
        action="status changed",
        changes={"status": [old, status]},
        summary=note,
    )
    return request


SLA_OUTCOME_FIELDS = [
    "response_met",
    "response_minutes",
    "response_target_minutes",
    "resolution_met",
    "resolution_minutes",
    "resolution_target_minutes",
]
# Requests with an SLA outcome due but not stored: answered, or resolved, without a verdict.
OUTCOME_MISSING = Q(first_response_at__isnull=False, response_met__isnull=True) | Q(
    resolved_at__isnull=False, resolution_met__isnull=True
)


def refresh_sla_outcomes(request_ids: Iterable[int] | None = None, batch: int = 500) -> int:
    """Fix the SLA outcomes of requests that have none yet, each with the business minutes used
    and the target then in force: ``response_met`` from the response clock once the request has
    been answered, ``resolution_met`` from the resolution clock once it is resolved (None while
    open; reopening clears it, the first response is never undone).

    Called by ``change_request_status`` for the one request, by the demo loaders after bulk
    inserts, by the priority and queue edits before they change a target (so rows without an
    outcome are judged by the one in force until then), by migration 0015 and by the worker for
    any request still without its outcomes (rows from before the fields existed). Returns the
    number of requests updated.
    """
    which = OUTCOME_MISSING if request_ids is None else Q(pk__in=list(request_ids))
    qs = selectors.requests_query().filter(which).order_by("pk")
    changed: list[Request] = []
    breaches: list[Request] = []
    fields = SLA_OUTCOME_FIELDS
    for request in qs.iterator(chunk_size=batch):
        before = [getattr(request, name) for name in fields]
        if request.first_response_at is None:
            request.response_met = None
            request.response_minutes = request.response_target_minutes = None
        elif request.response_met is None:
            # Fixed once, at the first response: the target then in force judges it.
            clock = selectors.response_clock(request)
            request.response_met = clock.state is SlaState.MET
            request.response_minutes = round(clock.elapsed_minutes, 3)
            request.response_target_minutes = clock.target_minutes
        if request.resolved_at is None:
            request.resolution_met = None
            request.resolution_minutes = request.resolution_target_minutes = None
        elif request.resolution_met is None:
            # Fixed once, at resolution: later target, calendar or priority changes leave it be.
            clock = selectors.resolution_clock(request)
            request.resolution_met = clock.state is SlaState.MET
            request.resolution_minutes = round(clock.elapsed_minutes, 3)
            request.resolution_target_minutes = clock.target_minutes
            if not request.resolution_met and request.queue.nc_on_breach:
                breaches.append(request)
        if [getattr(request, name) for name in fields] != before:
            changed.append(request)
    with transaction.atomic():
        Request.objects.bulk_update(changed, fields, batch_size=batch)
        # Only the resolutions judged now: a row filled in for its response alone was reported
        # (if at all) when its resolution was judged.
        deviations.report([_breach(r) for r in breaches])
    return len(changed)


def fix_due_outcomes(requests: QuerySet[Request]) -> None:
    """Before a change of target (priority, queue targets or calendar): store the outcomes due
    but missing among ``requests`` (rows from before they were kept), so the target in force
    until now judges them, not the new one."""
    ids = list(requests.filter(OUTCOME_MISSING).values_list("pk", flat=True))
    if ids:
        refresh_sla_outcomes(ids)


def _breach(request: Request) -> deviations.Deviation:
    queue = request.queue
    return deviations.Deviation(
        kind=deviations.Kind.SLA_BREACH,
        organisation_id=request.organisation_id,
        process_id=queue.process_id,
        title=f"SLA breached: #{request.pk} {request.title}"[:200],
        detail=(
            f"Request #{request.pk} “{request.title}” in {queue.name} "
            f"({Priority(request.priority).label}) was resolved after its resolution target "
            f"of {queue.target_minutes(request.priority, 'resolution') / 60:g} working hours."
        ),
        request=request,
    )


def backfill_rollups() -> None:
    """Worker pass: outcomes and KPI states missing on rows written before they existed."""
    refresh_sla_outcomes()
    stale = Kpi.objects.filter(state="no data", measurements__isnull=False).distinct()
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():  # under the KPI's lock, as a save of measurements is
            lock_rows(Kpi.all_objects.filter(pk=pk))
            refresh_kpi_states(Kpi.objects.filter(pk=pk).select_related("process"))


@transaction.atomic
def update_request(
    *, actor: User, request: Request, expected_version: int | None, **values: Any
) -> Request:
    require(actor, Action.EDIT, request)
    _unknown(values, ["title", "description", "priority", "assignee"])
    _not_null(values, ["title", "description", "priority"])
    if "priority" in values and values["priority"] not in Priority.values:
        raise Invalid(f"Unknown priority {values['priority']!r}.", field="priority")
    if "title" in values and not str(values["title"]).strip():
        raise Invalid("Give the request a short title.", field="title")
    check_worker(request.organisation_id, values.get("assignee"), work="requests")
    if values.get("priority", request.priority) != request.priority:
        fix_due_outcomes(Request.objects.filter(pk=request.pk))  # judged by the old priority
    before = history.snapshot(request, values)
    for key, value in values.items():
        setattr(request, key, value)
    save_versioned(request, expected_version=expected_version, fields=list(values))
    if "priority" in values:
        request.refresh_from_db(fields=SLA_OUTCOME_FIELDS)
    changes = history.diff(before, history.snapshot(request, values))
    if changes:
        history.record(actor=actor, obj=request, action="updated", changes=changes)
    return request


# --- Routines and occurrences -----------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """A checklist step as given by a form or the API; ``id`` names an existing step to keep."""

    text: str
    evidence: str = Evidence.NONE
    min_value: float | None = None
    max_value: float | None = None
    unit: str = ""
    id: int | None = None


SCHEDULE_FIELDS = frozenset({"rrule", "starts_on", "due_time", "shift", "calendar", "active"})


def _check_routine(organisation: Organisation, values: dict[str, Any]) -> None:
    _not_null(
        values,
        ["name", "description", "rrule", "starts_on", "due_time", "shift", "effort_minutes"],
    )
    _not_null(values, ["active"])
    starts_on = values.get("starts_on")
    if isinstance(starts_on, dt.date) and not FIRST_DAY <= starts_on <= LAST_DAY:
        raise Invalid("The start date must fall between 1980 and 2149.", field="starts_on")
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A routine needs a name.", field="name")
    if "rrule" in values:
        values["rrule"] = str(values["rrule"]).strip()
        try:
            recurrence.parse_rule(values["rrule"], values.get("starts_on") or dt.date.today())
        except ValueError as exc:
            raise Invalid(str(exc), field="rrule") from exc
    if values.get("shift", ShiftRule.NONE) not in ShiftRule.values:
        raise Invalid("Unknown shift rule.", field="shift")
    # As for requests: a guest cannot complete an occurrence, so cannot be its assignee.
    check_worker(organisation.pk, values.get("assignee"), work="routines")
    _check_same_org(organisation, values.get("calendar"), "calendar")
    effort = values.get("effort_minutes")
    if effort is not None and not 0 < int(effort) <= 24 * 60 * 5:
        raise Invalid("Expected effort is between 1 minute and 5 days.", field="effort_minutes")


def _check_steps(specs: list[StepSpec]) -> None:
    for position, step in enumerate(specs, start=1):
        if not step.text.strip():
            raise Invalid(f"Step {position} needs a text.", field="steps")
        if len(step.text.strip()) > 200:
            raise Invalid(f"Step {position}: at most 200 characters.", field="steps")
        if step.evidence not in Evidence.values:
            raise Invalid(f"Step {position}: unknown evidence {step.evidence!r}.", field="steps")
        for bound in (step.min_value, step.max_value):
            if bound is not None and not math.isfinite(bound):
                raise Invalid(f"Step {position}: limits must be finite numbers.", field="steps")
        if (
            step.min_value is not None
            and step.max_value is not None
            and step.max_value < step.min_value
        ):
            raise Invalid(f"Step {position}: the maximum is below the minimum.", field="steps")
        if (step.min_value is not None or step.max_value is not None) and (
            step.evidence != Evidence.NUMBER
        ):
            # The page refuses it; the API stored the step with its limits dropped unsaid.
            raise Invalid(f"Step {position}: limits need “a number within limits”.", field="steps")


def _step_row(step: StepSpec, routine: Routine, position: int) -> RoutineStep:
    limits = step.evidence == Evidence.NUMBER
    return RoutineStep(
        organisation_id=routine.organisation_id,
        routine=routine,
        position=position,
        text=step.text.strip(),
        evidence=step.evidence,
        min_value=step.min_value if limits else None,
        max_value=step.max_value if limits else None,
        unit=step.unit.strip()[:20] if limits else "",
    )


def _step_words(step: RoutineStep) -> str:
    """A step as history shows it: "Guards work (pass or fail)", and for a number what it must
    be: "Torque (number, between 40 and 50 Nm)", "Speed (number, in rpm)"."""
    kind = Evidence(step.evidence).label.lower()
    if step.evidence == Evidence.NUMBER:
        limits = limits_text(step) or (f"in {step.unit}" if step.unit else "")
        if limits:
            kind = f"{kind}, {limits}"
    return f"{step.text} ({kind})"


def _save_steps(routine: Routine, specs: list[StepSpec]) -> dict[str, list[Any]]:
    """Make the checklist ``specs``: update kept steps, add new ones, remove the rest.

    A step with recorded evidence keeps what it meant when the evidence was recorded: removed,
    it is retired (kept for the record, off the checklist); changed in what it asks (its text,
    its kind of evidence, its limits or unit), it is retired and a new step takes its place, so
    a past reading of 7 stays "within 5-10 %", not "out of 8-12 %". Files already uploaded for
    the old step on an occurrence not yet completed move to the new one when it still takes a
    file. Returns the history changes.
    """
    _check_steps(specs)
    current = {s.pk: s for s in RoutineStep.objects.filter(routine=routine, retired=False)}
    kept = [s.id for s in specs if s.id is not None]
    stray = [i for i in kept if i not in current]
    if stray or len(kept) != len(set(kept)):
        raise Invalid(f"Step {(stray or kept)[0]} is not part of this routine.", field="steps")
    before = [_step_words(s) for s in current.values()]
    removed = [pk for pk in current if pk not in kept]
    rows = [_step_row(spec, routine, position) for position, spec in enumerate(specs, start=1)]
    changed = [
        spec.id
        for spec, row in zip(specs, rows, strict=True)
        if spec.id is not None and _asks(current[spec.id]) != _asks(row)
    ]
    used = set(
        StepEvidence.objects.filter(step_id__in=removed + changed).values_list("step_id", flat=True)
    )
    RoutineStep.objects.filter(pk__in=used).update(retired=True)
    RoutineStep.objects.filter(pk__in=[pk for pk in removed if pk not in used]).delete()
    new_rows, updated, replaced = [], [], []
    for spec, row in zip(specs, rows, strict=True):
        if spec.id is None or spec.id in used:
            new_rows.append(row)
            if spec.id is not None:
                replaced.append((current[spec.id], row))
        else:
            row.pk = spec.id
            updated.append(row)
    RoutineStep.objects.bulk_update(
        updated, ["position", "text", "evidence", "min_value", "max_value", "unit"]
    )
    RoutineStep.objects.bulk_create(new_rows)
    for old, row in replaced:
        if old.evidence == row.evidence == Evidence.FILE:
            # Not yet completed: open, or missed and still completable late.
            StepEvidence.objects.filter(step=old).exclude(
                occurrence__status=OccurrenceStatus.DONE
            ).update(step=row)
    after = [_step_words(row) for row in rows]
    return {"steps": [before, after]} if before != after else {}


def _asks(step: RoutineStep) -> tuple[Any, ...]:
    """What a step asks for: a change to any of it changes what its evidence means."""
    return (step.text, step.evidence, step.min_value, step.max_value, step.unit)


@transaction.atomic
def create_routine(
    *, actor: User, process: Process, steps: Iterable[StepSpec] = (), **values: Any
) -> Routine:
    require(actor, Action.MANAGE, process)
    check_live_process(process)  # an archived process generates nothing: the page refuses it
    _unknown(values, ROUTINE_FIELDS)
    values.setdefault("starts_on", org_today(process.organisation_id))  # the organisation's day
    values.setdefault("due_time", dt.time(17, 0))  # the model default is the text "17:00"
    _check_routine(process.organisation, values)
    step_list = [dataclasses.replace(s, id=None) for s in steps]
    _check_steps(step_list)
    routine = Routine.objects.create(
        organisation_id=process.organisation_id,
        process=process,
        schedule_from=timezone.now(),  # nothing due before its creation (and so missed at once)
        **values,
    )
    RoutineStep.objects.bulk_create(
        _step_row(step, routine, position) for position, step in enumerate(step_list, start=1)
    )
    history.record(
        actor=actor,
        obj=routine,
        action="created",
        summary=f"Created routine {routine.name} with {len(step_list)} steps",
    )
    transaction.on_commit(lambda: generate_occurrences(routines=[routine]))
    return routine


@transaction.atomic
def update_routine(
    *,
    actor: User,
    routine: Routine,
    expected_version: int | None,
    steps: Iterable[StepSpec] | None = None,
    **values: Any,
) -> Routine:
    """Edit a routine and, when ``steps`` is given, its checklist (one version for both).

    A schedule change (rule, start, time, shift, calendar, active) drops the open occurrences
    not yet due and generates the new ones after commit, none due before the change
    (``schedule_from``); past ones and their evidence stay.
    """
    require(actor, Action.MANAGE, routine)
    _unknown(values, ROUTINE_FIELDS)
    _check_routine(
        routine.organisation, {"starts_on": values.get("starts_on", routine.starts_on), **values}
    )
    before = history.snapshot(routine, values)
    for key, value in values.items():
        setattr(routine, key, value)
    fields = list(values)
    if SCHEDULE_FIELDS & set(history.diff(before, history.snapshot(routine, values))):
        routine.schedule_from = timezone.now()
        fields.append("schedule_from")
    save_versioned(routine, expected_version=expected_version, fields=fields)
    changes = history.diff(before, history.snapshot(routine, values))
    if steps is not None:
        changes.update(_save_steps(routine, list(steps)))
    if changes:
        history.record(actor=actor, obj=routine, action="updated", changes=changes)
    if SCHEDULE_FIELDS & set(changes):
        # Those not yet due are made again on the new schedule; one that already holds
        # evidence (a file uploaded ahead) stays, with it (they were deleted, the file left).
        Occurrence.objects.filter(
            routine=routine, status=OccurrenceStatus.OPEN, due__gt=timezone.now()
        ).exclude(evidence__isnull=False).delete()
        if routine.active and not routine.archived:
            transaction.on_commit(lambda: generate_occurrences(routines=[routine]))
    return routine


def due_between(routine: Routine, first: dt.date, last: dt.date, zone: str) -> list[dt.datetime]:
    """Aware due instants of ``routine`` from ``first`` to ``last`` (no writes)."""
    cal = engine_calendar(routine.calendar) if routine.shift != ShiftRule.NONE else None

    def working(day: dt.date) -> bool:
        from twofold.engine.calendars import is_working_day

        return cal is None or is_working_day(cal, day)

    return recurrence.due_instants(
        routine.rrule,
        routine.starts_on,
        routine.due_time,
        max(first, routine.starts_on),
        last,
        zone,
        shift=recurrence.Shift(routine.shift),
        is_working_day=working,
    )


def generate_occurrences(
    *,
    now: dt.datetime | None = None,
    days: int = GENERATE_DAYS,
    routines: Iterable[Routine] | None = None,
) -> int:
    """Create missing occurrences due from today to ``days`` ahead; mark superseded open ones missed.

    Idempotent and safe to run from several workers at once: (routine, due) is unique and rows
    are inserted with ``ignore_conflicts``, so a rerun or a concurrent run neither duplicates nor
    skips. Each routine is read again under its row lock, in one transaction with its inserts:
    a pass working from a list read earlier put back the occurrences an archive, a stop or a
    new schedule had just dropped (each then missed; a critical routine's a nonconformance a
    day). The writers that drop them lock the routine first (``save_versioned``, ``replan``),
    so either they wait for this routine's inserts and drop them, or this waits and reads their
    change. Returns the number of due instants considered (not only the new ones).
    """
    moment = now or timezone.now()
    selected = (
        list(routines)
        if routines is not None
        else list(
            Routine.objects.filter(
                active=True, archived_at__isnull=True, process__archived_at__isnull=True
            ).select_related("organisation", "calendar")
        )
    )
    considered = 0
    for listed in selected:
        with transaction.atomic():
            routine = _locked_live_routine(listed.pk)
            if routine is not None:
                considered += _generate_one(routine, moment, days)
    if routines is None:
        _mark_stopped_missed(moment)
    return considered


def _locked_live_routine(pk: int) -> Routine | None:
    """The routine as stored now, under its row lock; None once it generates no more."""
    # all_objects: the routine's row alone (the live manager joins its process, which FOR
    # UPDATE would lock too).
    # NO KEY: a row pointing at the routine (an occurrence, a nonconformance) may still be
    # inserted meanwhile (a plain FOR UPDATE made those wait: a deadlock with a completion).
    lock_rows(Routine.all_objects.filter(pk=pk))
    return (
        Routine.objects.filter(
            pk=pk, active=True, archived_at__isnull=True, process__archived_at__isnull=True
        )
        .select_related("organisation", "calendar")
        .first()
    )


def _generate_one(routine: Routine, moment: dt.datetime, days: int) -> int:
    """One routine's part of :func:`generate_occurrences`: the due instants it considered."""
    zone = routine.organisation.timezone
    today = local(moment, zone).date()
    try:
        dues = due_between(
            routine, today - dt.timedelta(days=1), today + dt.timedelta(days=days), zone
        )
    except ValueError:
        # A rule stored before the checks of recurrence.parse_rule (e.g. INTERVAL=0) would
        # loop forever; skip it so one routine cannot stop generation for everyone.
        logger.warning("Routine %s has an unusable rule %r; skipped.", routine.pk, routine.rrule)
        return 0
    if routine.schedule_from is not None:
        # None due before the schedule took effect: it would be missed at once.
        dues = [due for due in dues if due >= routine.schedule_from]
    considered = len(dues)
    Occurrence.objects.bulk_create(
        [
            Occurrence(organisation_id=routine.organisation_id, routine=routine, due=due)
            for due in dues
        ],
        ignore_conflicts=True,
    )
    latest_due = (
        Occurrence.objects.filter(routine=routine, due__lte=moment)
        .order_by("-due")
        .values_list("due", flat=True)
        .first()
    )
    if latest_due is not None:
        # An open occurrence is missed once the next one has come due; the last one of a
        # rule that has ended (COUNT, UNTIL) once its own due time has passed.
        _mark_missed(routine, latest_due, inclusive=_rule_ended(routine, latest_due, zone))
    return considered


def _rule_ended(routine: Routine, latest_due: dt.datetime, zone: str) -> bool:
    """Whether ``latest_due`` is the routine's last occurrence: none after it, now or ever.

    A rule date moved back to a working day (shift "previous") may fall on an earlier day than
    its rule date; looking MAX_SHIFT_DAYS further keeps that occurrence from counting as its
    own successor (a real successor that close is already a row: generation runs 30 days ahead).
    """
    if Occurrence.objects.filter(routine=routine, due__gt=latest_due).exists():
        return False
    day = local(latest_due, zone).date()
    if routine.shift == ShiftRule.PREVIOUS:
        day += dt.timedelta(days=recurrence.MAX_SHIFT_DAYS)
    return not recurrence.falls_due_after(routine.rrule, routine.starts_on, day)


def _mark_stopped_missed(moment: dt.datetime) -> None:
    """Open occurrences past due of routines that generate no more (inactive, archived, or of
    an archived process) are missed: no next one will ever come to supersede them. Stopping a
    routine drops its open occurrences not yet due, so those left fell due while it ran (or
    hold a file uploaded ahead, and are missed once due): a critical routine's open a
    nonconformance as any missed one does."""
    stopped = Routine.objects.filter(
        Q(active=False) | Q(archived_at__isnull=False) | Q(process__archived_at__isnull=False),
        occurrences__status=OccurrenceStatus.OPEN,
        occurrences__due__lte=moment,
    ).distinct()
    for routine in stopped:
        _mark_missed(routine, moment, inclusive=True)


@dataclass(frozen=True)
class Generated:
    """What a by-hand generation pass did: routines looked at, due instants, new occurrences."""

    routines: int
    due: int
    created: int


def generate_for_organisation(*, actor: User, organisation: Organisation) -> Generated:
    """Run the worker's generation pass now for ``organisation``'s live routines (admins).

    The worker does this every few minutes anyway; the page's button and the API call it so an
    admin who just added a routine sees its occurrences at once. Recorded in the organisation's
    history with the number of new occurrences.
    """
    require(actor, Action.MANAGE, organisation)
    routines = list(
        selectors.routines_of(organisation).filter(active=True, process__archived_at__isnull=True)
    )
    for routine in routines:
        routine.organisation = organisation  # read for its time zone: no query per routine
    before = Occurrence.objects.filter(organisation=organisation).count()
    due = generate_occurrences(routines=routines)
    created = Occurrence.objects.filter(organisation=organisation).count() - before
    history.record(
        actor=actor,
        obj=organisation,
        action="generated",
        summary=f"Generated occurrences for the next {GENERATE_DAYS} days: {created} new",
    )
    return Generated(routines=len(routines), due=due, created=created)


def _mark_missed(routine: Routine, latest_due: dt.datetime, *, inclusive: bool = False) -> None:
    """Mark open occurrences due before ``latest_due`` (or at it, ``inclusive``) missed; a
    critical routine's open a nonconformance each.

    The update and the nonconformances share one transaction; the conditional UPDATE means a
    second worker finds nothing left to mark (and quality opens one per occurrence anyway).
    """
    bound = {"due__lte" if inclusive else "due__lt": latest_due}
    superseded = Occurrence.objects.filter(routine=routine, status=OccurrenceStatus.OPEN, **bound)
    if not routine.critical:
        superseded.update(status=OccurrenceStatus.MISSED)
        return
    with transaction.atomic():
        missed = list(superseded.select_for_update())
        if not missed:
            return
        Occurrence.objects.filter(
            pk__in=[o.pk for o in missed], status=OccurrenceStatus.OPEN
        ).update(status=OccurrenceStatus.MISSED, nonconforming=True)
        found = []
        for occ in missed:
            occ.status, occ.nonconforming = OccurrenceStatus.MISSED, True
            found.append(
                deviations.Deviation(
                    kind=deviations.Kind.MISSED_ROUTINE,
                    organisation_id=routine.organisation_id,
                    process_id=routine.process_id,
                    title=f"{routine.name}: missed (due {dates.format_daytime(occ.due)})",
                    detail=(
                        f"The critical routine {routine.name} was not completed: the occurrence "
                        f"due {dates.format_daytime(occ.due)} was missed."
                    ),
                    occurrence=occ,
                    routine=routine,
                )
            )
        deviations.report(found)


@dataclass
class StepInput:
    note: str = ""
    number: Any = None
    passed: bool | None = None
    file: UploadedFile[Any] | None = None
    staged: int | None = None
    """The evidence row of a file uploaded ahead of completion (``evidence_files``)."""


def _evidence_for(step: RoutineStep, given: StepInput) -> StepEvidence:
    field = f"step_{step.pk}"
    evidence = StepEvidence(step=step, note=given.note.strip())
    if step.evidence == Evidence.NOTE and not evidence.note:
        raise Invalid(f"“{step.text}” needs a note.", field=field)
    if step.evidence == Evidence.NUMBER:
        if given.number in (None, ""):
            raise Invalid(f"“{step.text}” needs a number.", field=field)
        try:
            number = _number(given.number)
        except (TypeError, ValueError) as exc:
            shown = repr(given.number)
            what = shown if len(shown) <= 40 else "that"
            problem = TOO_LARGE if str(exc) == TOO_LARGE else "not a number"
            raise Invalid(f"“{step.text}”: {what} is {problem}.", field=field) from exc
        # A reading outside the limits is recorded as read, never refused: completing the
        # occurrence opens a nonconformance for it (see ``_deviations``).
        evidence.number = number
    if step.evidence == Evidence.PASS_FAIL:
        if given.passed is None:
            raise Invalid(f"“{step.text}” needs pass or fail.", field=field)
        evidence.passed = given.passed
    if step.evidence == Evidence.FILE:
        if not given.file:  # False: a "clear" box posted by hand; the staged file stays
            given = dataclasses.replace(given, file=None)
        if given.file is None and given.staged is None:
            raise Invalid(f"“{step.text}” needs a file.", field=field)
        if given.file is not None:
            try:
                checked = evidence_files.check_upload(given.file, field)
            except Invalid as exc:
                raise Invalid(f"“{step.text}”: {exc.message}", field=field) from exc
            evidence.file = given.file
            evidence_files.describe(evidence, checked)
    return evidence


def _check_not_ahead(occurrence: Occurrence, moment: dt.datetime) -> None:
    """An occurrence is done within its own period: after the routine's previous occurrence
    fell due (a monthly reconciliation a few days early is fine; one due next month was
    completed today and counted as on time for this month's)."""
    previous = (
        Occurrence.objects.filter(routine_id=occurrence.routine_id, due__lt=occurrence.due)
        .order_by("-due")
        .values_list("due", flat=True)
        .first()
    )
    if previous is None or moment > previous:
        return
    # Aware instants: shown on the reader's clock, as the pages show due times.
    raise Invalid(
        f"This occurrence falls due on {dates.format_day(occurrence.due)}: "
        "complete the one before it first; this one can be completed once that one's due time "
        f"({dates.format_daytime(previous)}) has passed (evidence can be uploaded ahead).",
        field="status",
    )


def complete_occurrence(
    *,
    actor: User,
    occurrence: Occurrence,
    evidence: Mapping[int, StepInput],
    expected_version: int | None,
    at: dt.datetime | None = None,
) -> Occurrence:
    """Complete an occurrence, recording validated evidence for every step (by step id). The
    files it stores go again if it fails after storing them (``evidence_files``)."""
    with evidence_files.discarded_on_error() as stored, transaction.atomic():
        return _complete(actor, occurrence, evidence, expected_version, at, stored)


def _complete(
    actor: User,
    occurrence: Occurrence,
    evidence: Mapping[int, StepInput],
    expected_version: int | None,
    at: dt.datetime | None,
    stored: list[str],
) -> Occurrence:
    require(actor, Action.CONTRIBUTE, occurrence)
    if occurrence.status == OccurrenceStatus.DONE:
        raise Invalid("This occurrence is already done.", field="status")
    _check_not_ahead(occurrence, at or timezone.now())
    steps = list(RoutineStep.objects.filter(routine_id=occurrence.routine_id, retired=False))
    unknown = set(evidence) - {s.pk for s in steps}
    if unknown:
        raise Invalid(f"Step {sorted(unknown)[0]} is not part of this routine.", field="steps")
    evidence = evidence_files.with_staged(occurrence, evidence)
    rows = [_evidence_for(step, evidence.get(step.pk, StepInput())) for step in steps]
    moment = at or timezone.now()
    previous = occurrence.status
    occurrence.status = OccurrenceStatus.DONE
    occurrence.completed_at = moment
    occurrence.completed_by = actor
    save_versioned(
        occurrence,
        expected_version=expected_version,
        fields=["status", "completed_at", "completed_by"],
    )
    evidence_files.save_rows(occurrence, rows, actor, stored)
    found = _deviations(occurrence, rows, actor)
    if found:
        occurrence.nonconforming = True
        Occurrence.objects.filter(pk=occurrence.pk).update(nonconforming=True)
    late = moment > occurrence.due
    summary = "Completed late" if late else "Completed on time"
    if found:
        summary = f"Completed with {len(found)} nonconformance{'s' if len(found) != 1 else ''}"
    history.record(
        actor=actor,
        obj=occurrence,
        action="completed",
        changes={"status": [previous, OccurrenceStatus.DONE]},
        summary=summary,
    )
    deviations.report(found)
    return occurrence


def limits_text(step: RoutineStep) -> str:
    """A number step's limits in words ("between 40 and 50 Nm"); "" without limits."""
    low, high = step.min_value, step.max_value
    unit = f" {step.unit}" if step.unit else ""
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}{unit}"
    if low is not None:
        return f"at least {low:g}{unit}"
    if high is not None:
        return f"at most {high:g}{unit}"
    return ""


def out_of_limits(step: RoutineStep, number: float | None) -> bool:
    low, high = step.min_value, step.max_value
    if number is None or step.evidence != Evidence.NUMBER:
        return False
    return (low is not None and number < low) or (high is not None and number > high)


def _deviations(
    occurrence: Occurrence, rows: list[StepEvidence], actor: User
) -> list[deviations.Deviation]:
    """Readings outside their step's limits and failed checks in a completed occurrence."""
    routine = occurrence.routine
    found = []
    for row in rows:
        step = row.step
        if out_of_limits(step, row.number):
            unit = f" {step.unit}" if step.unit else ""
            found.append(
                deviations.Deviation(
                    kind=deviations.Kind.OUT_OF_LIMITS,
                    organisation_id=occurrence.organisation_id,
                    process_id=routine.process_id,
                    title=f"{step.text}: {row.number:g}{unit} outside {limits_text(step)}",
                    detail=(
                        f"Recorded {row.number:g}{unit} on “{step.text}” of {routine.name} "
                        f"(due {dates.format_daytime(occurrence.due)}); the step allows "
                        f"{limits_text(step)}."
                    ),
                    actor=actor,
                    occurrence=occurrence,
                    step=step,
                    routine=routine,
                    reading=row.number,
                )
            )
        elif step.evidence == Evidence.PASS_FAIL and row.passed is False:
            found.append(
                deviations.Deviation(
                    kind=deviations.Kind.FAILED_CHECK,
                    organisation_id=occurrence.organisation_id,
                    process_id=routine.process_id,
                    title=f"{step.text}: failed",
                    detail=(
                        f"“{step.text}” of {routine.name} was recorded as a fail "
                        f"(due {dates.format_daytime(occurrence.due)})."
                        + (f" Note: {row.note}" if row.note else "")
                    ),
                    actor=actor,
                    occurrence=occurrence,
                    step=step,
                    routine=routine,
                )
            )
    return found


# --- Archive and delete -----------------------------------------------------------------------

Archivable = Process | Kpi | Queue | Routine
KIND_LABEL: dict[type[Any], str] = {
    Process: "process",
    Kpi: "KPI",
    Queue: "request queue",
    Routine: "routine",
}


def _parent_process(obj: Archivable) -> Process | None:
    return None if isinstance(obj, Process) else obj.process


@transaction.atomic
def set_archived(
    *, actor: User, obj: Archivable, archived: bool, expected_version: int | None
) -> Archivable:
    """Archive (hide from lists, pickers, the overview and occurrence generation) or restore.

    Archived things stay in reports and history. Archiving a routine drops its open occurrences
    not yet due; restoring it generates them again after commit, none due before the restore.
    """
    require(actor, Action.MANAGE, obj)
    if obj.archived == archived:
        # Nothing to change, but a stale version is still refused, as a real change would be
        # (it answered 200 on an archived row someone had edited since).
        require_current(obj, expected_version=expected_version)
        return obj
    obj.archived_at = timezone.now() if archived else None
    fields = ["archived_at"]
    if isinstance(obj, Routine) and not archived:
        obj.schedule_from = timezone.now()  # nothing due while it was archived comes back
        fields.append("schedule_from")
    save_versioned(obj, expected_version=expected_version, fields=fields)
    label = KIND_LABEL[type(obj)]
    history.record(
        actor=actor,
        obj=obj,
        action="archived" if archived else "restored",
        changes={"archived": [not archived, archived]},
        summary=f"{'Archived' if archived else 'Restored'} {label} {obj}",
    )
    if isinstance(obj, Routine):
        if archived:
            Occurrence.objects.filter(
                routine=obj, status=OccurrenceStatus.OPEN, due__gt=timezone.now()
            ).exclude(evidence__isnull=False).delete()  # keeps one holding evidence
        elif obj.active:
            routine = obj
            transaction.on_commit(lambda: generate_occurrences(routines=[routine]))
    elif isinstance(obj, Process):
        _follow_process_archive(obj, archived)
    return obj


def _follow_process_archive(process: Process, archived: bool) -> None:
    """A process archived stops its routines as archiving each would: their open occurrences
    not yet due go (each was later missed, a critical routine's a nonconformance a day);
    restored, its live routines generate again from now, none due while it was archived."""
    live = Routine.objects.filter(process=process, active=True, archived_at__isnull=True)
    # Locked first, as the worker's generation pass locks each (generate_occurrences).
    ids = lock_rows(Routine.all_objects.filter(pk__in=live.values("pk")))
    if not ids:
        return
    now = timezone.now()
    if archived:
        Occurrence.objects.filter(
            routine_id__in=ids, status=OccurrenceStatus.OPEN, due__gt=now
        ).exclude(evidence__isnull=False).delete()  # keeps one holding evidence
        return
    # The version moves: an edit page opened before would write the old schedule back.
    Routine.all_objects.filter(pk__in=ids).update(schedule_from=now, version=F("version") + 1)
    routines = list(Routine.objects.filter(pk__in=ids))
    transaction.on_commit(lambda: generate_occurrences(routines=routines))


@dataclass(frozen=True)
class Impact:
    """What deleting something takes with it: ``goes`` are ``(count, words)`` of rows deleted
    with it, ``stays`` what survives unlinked. Shown on the confirmation and by the API."""

    label: str
    name: str
    goes: list[tuple[int, str]]
    stays: list[tuple[int, str]]
    files: int


def _words(model: type[Any], count: int) -> str:
    meta = model._meta
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)


def deletion_impact(obj: Archivable) -> Impact:
    """Count everything that would be deleted with ``obj`` (Django's own delete collector, so the
    counts are what the delete really removes) and the links that would be cleared."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    # A row can be reached twice (evidence through its occurrence and through its step), so
    # count distinct primary keys.
    rows: dict[type[Any], set[Any]] = {}
    for model, instances in collector.data.items():
        rows.setdefault(model, set()).update(i.pk for i in instances)
    collected: Any = collector.data.get(StepEvidence, ())
    with_file: set[Any] = {e.pk for e in collected if e.file}
    for qs in collector.fast_deletes:
        rows.setdefault(qs.model, set()).update(qs.values_list("pk", flat=True))
        if qs.model is StepEvidence:
            with_file.update(qs.exclude(file="").values_list("pk", flat=True))
    files = len(with_file)
    counts = {model: len(pks) for model, pks in rows.items()}
    counts.pop(type(obj), None)
    goes = [(n, _words(m, n)) for m, n in sorted(counts.items(), key=lambda i: _order(i[0])) if n]
    cleared: dict[type[Any], set[Any]] = {}
    for (field, _value), instances in collector.field_updates.items():
        item: Any
        for item in instances:
            model = field.model
            if hasattr(item, "model"):  # a queryset of rows to update (Django >= 5)
                cleared.setdefault(model, set()).update(item.values_list("pk", flat=True))
            else:
                cleared.setdefault(model, set()).add(item.pk)
    stays = [(len(pks), _words(m, len(pks))) for m, pks in cleared.items() if pks]
    return Impact(KIND_LABEL[type(obj)], str(obj), goes, stays, files)


_ORDER = [Kpi, Measurement, Routine, RoutineStep, Occurrence, StepEvidence, Queue, Request]


def _order(model: type[Any]) -> int:
    return _ORDER.index(model) if model in _ORDER else len(_ORDER)


@transaction.atomic
def delete_thing(*, actor: User, obj: Archivable, expected_version: int | None) -> Impact:
    """Move ``obj`` and everything that belongs to it to the trash (admins only).

    A stale ``expected_version`` refuses (409). An admin restores it from the trash within the
    retention; the worker then deletes it for good, evidence files included (``core.trash``).
    """
    require(actor, Action.MANAGE, obj)
    impact = deletion_impact(obj)
    trash.move_to_trash(actor=actor, obj=obj, expected_version=expected_version)
    return impact


def trash_request(*, actor: User, request: Request, expected_version: int | None) -> None:
    """Move ``request`` (with its status events) to the trash; an admin can restore it."""
    trash.move_to_trash(actor=actor, obj=request, expected_version=expected_version)
