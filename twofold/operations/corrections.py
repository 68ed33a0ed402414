"""Writes that fix a recorded KPI value: correct it (new value, reason) or void it (reason).

Nothing is deleted: the value first recorded stays on the measurement (``original_value``) and
every step is a history entry on the measurement with the value before and after and the reason.
Members record and correct (``Action.EDIT``); a stale ``expected_version`` answers 409.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.dates import format_day
from twofold.core.errors import Invalid
from twofold.core.policy import Action, require
from twofold.operations import plausibility
from twofold.operations.models import Kpi, Measurement
from twofold.operations.services import (
    MeasurementsImplausible,
    _number,
    org_today,
    refresh_kpi_states,
)

MAX_REASON = 300


def _reason(raw: str, what: str) -> str:
    reason = " ".join(str(raw or "").split())
    if not reason:
        raise Invalid(f"Say why the value is {what}: the reason is kept with it.", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(f"The reason can be at most {MAX_REASON} characters.", field="reason")
    return reason


def _kpi_of(measurement: Measurement) -> Kpi:
    return Kpi.objects.select_for_update().get(pk=measurement.kpi_id)


@transaction.atomic
def correct_measurement(
    *,
    actor: User,
    measurement: Measurement,
    value: object,
    reason: str,
    expected_version: int | None,
    confirmed: bool = False,
) -> Measurement:
    """Replace a value with ``value`` (a voided value is restored with it), keeping the original.

    The new value is judged like a new entry (``plausibility``): one that looks wrong is refused
    with ``MeasurementsImplausible`` unless ``confirmed``.
    """
    require(actor, Action.EDIT, measurement)
    reason = _reason(reason, "corrected")
    try:
        new_value = _number(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(
            "The corrected value must be a finite number of at most 10^15 in size.", field="value"
        ) from exc
    if new_value == measurement.value and not measurement.voided:
        raise Invalid(
            f"The value is already {new_value:g}; give the value it should be.", field="value"
        )
    kpi = _kpi_of(measurement)
    doubts = plausibility.check_rows(
        kpi,
        [(1, measurement.measured_on, new_value)],
        today=org_today(kpi.organisation_id),
        history=plausibility.history_of(kpi, exclude=[measurement.pk]),
    )
    doubts = [d for d in doubts if d.field == "value"]  # the date is not being changed
    if doubts and not confirmed:
        raise MeasurementsImplausible(doubts)
    before = {"value": measurement.value, "voided": measurement.voided}
    if measurement.original_value is None:
        measurement.original_value = measurement.value
    measurement.value = new_value
    measurement.corrected_at = timezone.now()
    measurement.correction_reason = reason
    measurement.voided_at, measurement.voided_by, measurement.void_reason = None, None, ""
    save_versioned(
        measurement,
        expected_version=expected_version,
        fields=[
            "value",
            "original_value",
            "corrected_at",
            "correction_reason",
            "voided_at",
            "voided_by",
            "void_reason",
        ],
    )
    changes: dict[str, list[object]] = {"value": [before["value"], new_value]}
    if before["voided"]:
        changes["voided"] = [True, False]
    history.record(
        actor=actor,
        obj=measurement,
        action="corrected",
        changes=changes,
        summary=f"Corrected {format_day(measurement.measured_on)}: {before['value']:g} → {new_value:g}. "
        f"Reason: {reason}",
    )
    refresh_kpi_states([kpi])
    return measurement


@transaction.atomic
def void_measurement(
    *, actor: User, measurement: Measurement, reason: str, expected_version: int | None
) -> Measurement:
    """Take a value out of the chart's limits and the KPI's status; it stays, shown as voided."""
    require(actor, Action.EDIT, measurement)
    if measurement.voided:
        raise Invalid(
            f"The value of {format_day(measurement.measured_on)} is already voided "
            f"({measurement.void_reason}). Correct it to give it a new value.",
            field="reason",
        )
    reason = _reason(reason, "voided")
    kpi = _kpi_of(measurement)
    measurement.voided_at = timezone.now()
    measurement.voided_by = actor
    measurement.void_reason = reason
    save_versioned(
        measurement,
        expected_version=expected_version,
        fields=["voided_at", "voided_by", "void_reason"],
    )
    history.record(
        actor=actor,
        obj=measurement,
        action="voided",
        changes={"voided": [False, True]},
        summary=f"Voided {format_day(measurement.measured_on)} ({measurement.value:g}). Reason: {reason}",
    )
    refresh_kpi_states([kpi])
    return measurement
