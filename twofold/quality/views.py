"""Quality pages: nonconformance lists (organisation, process), one nonconformance with its
actions, raising one by hand, an action, and the audit trail export of a process.

Views are thin: they parse forms and call the same services as the API.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from twofold.core import selectors as core_selectors
from twofold.core import services as core_services
from twofold.core.errors import NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.models import JobStatus
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    job_panel,
    organisation_of,
    organisation_required,
    requested_job,
    whole_number,
)
from twofold.operations import selectors as ops
from twofold.operations.models import Process
from twofold.quality import audit, jobs, selectors, services
from twofold.quality.forms import (
    ActionEditForm,
    ActionForm,
    AuditForm,
    CloseForm,
    RaiseForm,
    RecordForm,
    VerifyForm,
)
from twofold.quality.models import Nonconformance, Severity


def _process(request: HttpRequest, process_id: int) -> Process:
    try:
        process = ops.get_process(request.user, process_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if process.organisation_id != organisation_of(request).pk:
        raise Http404("Process not found.")
    return process


def _nc(request: HttpRequest, pk: int) -> Nonconformance:
    try:
        nc = selectors.get_nonconformance(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if nc.organisation_id != organisation_of(request).pk:
        raise Http404("Nonconformance not found.")
    return nc


def _list_context(request: HttpRequest, process: Process | None) -> dict[str, Any]:
    org = organisation_of(request)
    filters = selectors.Filters.from_query(request.GET)
    if process is not None:
        filters = selectors.Filters(
            status=filters.status,
            severity=filters.severity,
            process_id=process.pk,
            occurrence_id=filters.occurrence_id,
        )
    rows = selectors.nonconformances_of(org, filters)

    def link(**change: str) -> str:
        values = {
            "status": filters.status,
            "severity": filters.severity,
            "process": str(filters.process_id or "") if process is None else "",
            **change,
        }
        if values["status"] == "open":
            values["status"] = ""
        return "?" + urlencode({k: v for k, v in values.items() if v})

    counts = selectors.counts_of(
        org,
        process.pk if process else filters.process_id,
        severity=filters.severity,
        occurrence_id=filters.occurrence_id,
    )
    return {
        "process": process,
        "filters": filters,
        "rows": [(nc, selectors.source_link(nc)) for nc in rows],
        "status_tabs": [
            (key, label, counts[key], link(status=key)) for key, label in selectors.STATUS_FILTERS
        ],
        "severity_links": [("", "Any severity", link(severity=""))]
        + [(key, label, link(severity=key)) for key, label in Severity.choices],
        "can_raise": can(request.user, Action.CONTRIBUTE, org),
        "tab": "quality",
        "section": "operations",
    }


@organisation_required
def nonconformance_list(request: HttpRequest) -> HttpResponse:
    """Every nonconformance of the organisation: open first, filtered by status and severity."""
    return render(request, "quality/pages/list.html", _list_context(request, None))


@organisation_required
def process_list(request: HttpRequest, process_id: int) -> HttpResponse:
    process = _process(request, process_id)
    return render(request, "quality/pages/list.html", _list_context(request, process))


@organisation_required
def nonconformance_new(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    if not can(request.user, Action.CONTRIBUTE, org):
        return forbidden_page(
            request,
            "Your role lets you read nonconformances, not raise them.",
            back=reverse("quality:list"),
        )
    initial: dict[str, Any] = {}
    process_id = whole_number(request.GET.get("process"))
    if process_id is not None:
        initial["process"] = process_id
    form = RaiseForm(request.POST or None, organisation=org, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                nc = services.raise_nonconformance(
                    actor=actor_of(request), organisation=org, **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"{nc.code} raised.")
                return redirect("quality:detail", pk=nc.pk)
        else:
            status = 400
    return render(
        request,
        "quality/pages/new.html",
        {"form": form, "tab": "quality", "section": "operations"},
        status=status,
    )


def _detail_forms(request: HttpRequest, nc: Nonconformance, posted: str | None) -> dict[str, Any]:
    org = organisation_of(request)
    data = request.POST if request.method == "POST" else None
    record_initial = {
        "version": nc.version,
        "title": nc.title,
        "severity": nc.severity,
        "description": nc.description,
        "containment": nc.containment,
        "root_cause": nc.root_cause,
    }
    return {
        "record_form": RecordForm(
            data if posted == "record" else None, initial=record_initial, prefix="record"
        ),
        "action_form": ActionForm(
            data if posted == "action" else None,
            organisation=org,
            prefix="action",
            initial={"due_on": timezone.localdate() + dt.timedelta(days=14)},
        ),
        "verify_form": VerifyForm(
            data if posted == "verify" else None,
            prefix="verify",
            initial={"version": nc.version, "verification": nc.verification},
        ),
        "close_form": CloseForm(
            data if posted == "close" else None, prefix="close", initial={"version": nc.version}
        ),
    }


def _apply(request: HttpRequest, nc: Nonconformance, posted: str, forms: dict[str, Any]) -> str:
    """Run the posted form's service; the success message, or "" with errors on the form."""
    form = forms[f"{posted}_form"]
    if not form.is_valid():
        return ""
    data = dict(form.cleaned_data)
    actor = actor_of(request)
    try:
        if posted == "record":
            version = data.pop("version")
            services.update_nonconformance(actor=actor, nc=nc, expected_version=version, **data)
            return f"{nc.code} saved."
        if posted == "action":
            action = services.add_action(actor=actor, nc=nc, **data)
            return f"{action.get_kind_display()} action added."
        if posted == "verify":
            version = data.pop("version")
            services.verify_nonconformance(actor=actor, nc=nc, expected_version=version, **data)
            return "Verification recorded."
        services.close_nonconformance(actor=actor, nc=nc, expected_version=data["version"])
        return f"{nc.code} closed."
    except ServiceError as exc:
        form.status = apply_service_error(form, exc)
        return ""


@organisation_required
def nonconformance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _nc(request, pk)
    posted = request.POST.get("form") if request.method == "POST" else None
    if posted not in (None, "record", "action", "verify", "close"):
        raise Http404("Unknown form.")
    forms = _detail_forms(request, nc, posted)
    status = 200
    if posted:
        done = _apply(request, nc, posted, forms)
        if done:
            messages.success(request, done)
            return redirect("quality:detail", pk=nc.pk)
        status = getattr(forms[f"{posted}_form"], "status", 400)
        nc = _nc(request, pk)  # the record as stored: nothing half-saved shows
    actions = selectors.actions_of(nc)
    owner = selectors.is_process_owner(request.user, nc)
    open_actions = sum(1 for a in actions if a.is_open)
    blockers = [
        text
        for text, applies in (
            (f"{open_actions} action{'s' if open_actions != 1 else ''} still open", open_actions),
            ("no containment action recorded", not nc.containment.strip()),
            ("no root cause recorded", not nc.root_cause.strip()),
            ("no action done", not any(not a.is_open for a in actions)),
            (
                "the verification is needed again (an action changed after it)"
                if nc.verification_state == "needed_again"
                else "no verification that found the actions effective",
                nc.effective is not True,
            ),
        )
        if applies
    ]
    return render(
        request,
        "quality/pages/detail.html",
        {
            "nc": nc,
            "source": selectors.source_link(nc),
            "actions": actions,
            "open_actions": open_actions,
            # Shown instead of the Close button (a posted close still gets the service's answer).
            "close_blockers": blockers if posted != "close" else [],
            "can_edit": nc.is_open and can(request.user, Action.EDIT, nc),
            "is_owner": nc.is_open and owner,
            "history": history_for(nc, viewer=request.user),
            "posted": posted,
            "tab": "quality",
            "section": "operations",
            **forms,
        },
        status=status,
    )


@organisation_required
def action_edit(request: HttpRequest, pk: int, action_id: int) -> HttpResponse:
    nc = _nc(request, pk)
    try:
        action = selectors.get_action(request.user, action_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if action.nonconformance_id != nc.pk:
        raise Http404("Action not found.")
    if not can(request.user, Action.EDIT, nc):
        return forbidden_page(
            request,
            "Your role lets you read this action, not change it.",
            back=reverse("quality:detail", args=[nc.pk]),
        )
    if not nc.is_open:
        messages.error(request, "This action can no longer be changed here.")
        return redirect("quality:detail", pk=nc.pk)
    initial = {
        "version": action.version,
        "kind": action.kind,
        "description": action.description,
        "owner": action.owner_id,
        "due_on": action.due_on,
        "status": action.status,
        "done_on": action.done_on,
        "outcome": action.outcome,
    }
    form = ActionEditForm(
        request.POST or None, organisation=organisation_of(request), initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.update_action(
                    actor=actor_of(request), action=action, expected_version=version, **data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Action saved.")
                return redirect("quality:detail", pk=nc.pk)
        else:
            status = 400
    return render(
        request,
        "quality/pages/action.html",
        {"nc": nc, "action": action, "form": form, "tab": "quality", "section": "operations"},
        status=status,
    )


# --- Audit trail export --------------------------------------------------------------------------


def _audit_job(request: HttpRequest, process: Process) -> dict[str, Any]:
    job = requested_job(request, request.GET.get("job", ""), subject=process, kind=jobs.AUDIT_JOB)
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title="Preparing the audit trail",
            poll_url=request.get_full_path(),
            cancel_hint="Nothing is kept when cancelled.",
        ),
    }


def _zip_response(scope: audit.AuditScope, request: HttpRequest) -> FileResponse:
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    audit.write_zip(scope, spool, by=request.user)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=scope.file_name, content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@organisation_required
def audit_export(request: HttpRequest, process_id: int) -> HttpResponseBase:
    """The audit trail ZIP of a process: at once for a small range, as a job for a large one."""
    process = _process(request, process_id)
    job = _audit_job(request, process)
    if request.method != "POST" and getattr(request, "htmx", False) and job:
        if "job_panel" in job:
            return render(request, "quality/partials/audit_job.html", {**job, "process": process})
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    form = AuditForm(request.POST or None, initial=AuditForm.initial_for(timezone.localdate()))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                scope = audit.AuditScope.checked(
                    process, form.cleaned_data["start"], form.cleaned_data["end"]
                )
                if not audit.needs_job(scope):
                    return _zip_response(scope, request)
                started = core_services.enqueue_job(
                    actor=actor_of(request),
                    kind=jobs.AUDIT_JOB,
                    subject=process,
                    params={"start": scope.start.isoformat(), "end": scope.end.isoformat()},
                    action=Action.VIEW,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                url = reverse("quality:audit", args=[process.pk])
                return redirect(f"{url}?job={started.pk}")
        else:
            status = 400
    return render(
        request,
        "quality/pages/audit.html",
        {
            "process": process,
            "form": form,
            "limits": {"occurrences": audit.JOB_OCCURRENCES, "files": audit.JOB_FILES},
            "xlsx_note": audit.XLSX_NOTE,
            "tab": "quality",
            "section": "operations",
            **job,
        },
        status=status,
    )


@organisation_required
def audit_download(request: HttpRequest, job_id: int) -> FileResponse:
    """The ZIP a finished export job wrote, for people who may see the job and its process."""
    try:
        job = core_selectors.get_job(
            request.user, organisation_of(request), job_id, kind=jobs.AUDIT_JOB
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    path = jobs.export_path(job)
    if job.status != JobStatus.SUCCEEDED or not path.exists():
        raise Http404("This export is not ready or no longer kept.")
    name = (job.result or {}).get("file_name") or f"audit-{job.pk}.zip"
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
