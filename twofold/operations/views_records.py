"""Pages for the records an auditor reads: a KPI value with its corrections, evidence files,
and an occurrence's printable record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from twofold.core.dates import format_day
from twofold.core.errors import NotFound, ServiceError
from twofold.core.fastread import FastRead, Read
from twofold.core.history import history_for
from twofold.core.models import HistoryEntry
from twofold.core.policy import Action, can
from twofold.core.uploads import safe_response
from twofold.core.web import (
    actor_of,
    apply_service_error,
    organisation_of,
    organisation_required,
    render_page,
)
from twofold.operations import corrections, evidence_files, selectors
from twofold.operations.forms import CorrectionForm, VoidForm
from twofold.operations.models import Kpi, Measurement, StepEvidence
from twofold.operations.services import MeasurementsImplausible

SECTION = "operations"


# The newest history entries of a KPI's values with their actors, compiled once
# (core/fastread.py): the KPI page shows them.
_OF_VALUES = f"SELECT m.id FROM {Measurement._meta.db_table} m WHERE m.kpi_id = %s"  # noqa: S608
_VALUE_CHANGES = FastRead(
    HistoryEntry,
    f"t.content_type_id = %s AND t.object_id IN ({_OF_VALUES})",
    order_by="t.at DESC, t.id DESC",
    limited=True,
    related="actor",
)


def measurement_changes(kpi: Kpi, limit: int = 10) -> list[HistoryEntry]:
    """The newest corrections and voids of a KPI's values, with who made them (one query)."""
    return _VALUE_CHANGES.all(value_changes_read(kpi.pk, limit)[1])


def value_changes_read(kpi_id: int, limit: int = 10) -> Read:
    """:func:`measurement_changes`' read, to read ahead (``core.fastread.one_round_trip``)."""
    return _VALUE_CHANGES, [ContentType.objects.get_for_model(Measurement).pk, kpi_id, limit]


def _measurement(request: HttpRequest, pk: int) -> Measurement:
    try:
        m = selectors.get_measurement(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if m.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    return m


@organisation_required
def measurement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One value: what it is, what it was, why; correct it or void it."""
    m = _measurement(request, pk)
    action = request.POST.get("action", "")
    initial = {"version": m.version}
    value_hint = request.GET.get("value", "")
    correct_form = CorrectionForm(
        request.POST if action == "correct" else None,
        initial={**initial, "value": value_hint or m.value},
    )
    void_form = VoidForm(request.POST if action == "void" else None, initial=initial)
    doubts: list[Any] = []
    status = 200
    if request.method == "POST":
        form: Any = {"correct": correct_form, "void": void_form}.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "correct":
                    corrections.correct_measurement(
                        actor=actor_of(request),
                        measurement=m,
                        value=data["value"],
                        reason=data["reason"],
                        expected_version=data["version"],
                        confirmed=bool(data.get("confirm")),
                    )
                    messages.success(request, f"Value of {format_day(m.measured_on)} corrected.")
                else:
                    corrections.void_measurement(
                        actor=actor_of(request),
                        measurement=m,
                        reason=data["reason"],
                        expected_version=data["version"],
                    )
                    messages.success(request, f"Value of {format_day(m.measured_on)} voided.")
            except MeasurementsImplausible as exc:
                doubts, status = exc.warnings, 422
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                return redirect("operations:kpi", m.kpi_id)
        else:
            status = 400
        m.refresh_from_db()
    return render_page(
        request,
        "operations/pages/measurement.html",
        {
            "m": m,
            "kpi": m.kpi,
            "correct_form": correct_form,
            "void_form": void_form,
            "doubts": doubts,
            "history": history_for(m, limit=50, viewer=request.user),
            "can_edit": can(request.user, Action.EDIT, m),
            "section": SECTION,
        },
        status=status,
    )


def _evidence(request: HttpRequest, pk: int) -> StepEvidence:
    try:
        row = selectors.get_step_evidence(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if row.organisation_id != organisation_of(request).pk or not row.file:
        raise Http404("Not found.")
    return row


@organisation_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file with the attachments' safe headers; ``?inline=1`` shows an image."""
    row = _evidence(request, pk)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    return safe_response(
        handle,
        original_name=row.file_label,
        content_type=row.served_type,
        size=row.size or row.file.size,
        inline=request.GET.get("inline") == "1",
    )


@organisation_required
def occurrence_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The occurrence's record on one printable page: steps, values, files, who, when."""
    try:
        occurrence = selectors.get_occurrence(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if occurrence.organisation_id != organisation_of(request).pk:
        raise Http404("Not found.")
    evidence = {e.step_id: e for e in selectors.evidence_of(occurrence)}
    steps = selectors.record_steps(occurrence, evidence)
    return render_page(
        request,
        "operations/pages/occurrence_record.html",
        {
            "occurrence": occurrence,
            "routine": occurrence.routine,
            "rows": [(step, evidence.get(step.pk)) for step in steps],
            "history": history_for(occurrence, limit=20, viewer=request.user),
            "limit_mb": evidence_files.size_limit() // (1024 * 1024),
            "section": SECTION,
        },
    )
