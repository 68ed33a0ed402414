"""API for nonconformances, their CAPA actions and the audit trail export (same services as
the pages: guests read, members record, the process owner verifies and closes)."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictInt, StrictStr

from twofold.accounts.models import User
from twofold.accounts.selectors import get_organisation
from twofold.core import selectors as core_selectors
from twofold.core import services as core_services
from twofold.core.api import job_out
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut, JobOut, ObjectId
from twofold.core.errors import Invalid, NotFound
from twofold.core.models import JobStatus
from twofold.core.policy import Action
from twofold.core.web import actor_of
from twofold.operations import selectors as ops
from twofold.operations.models import Process
from twofold.projects.api import StrictDate
from twofold.quality import audit, jobs, selectors, services
from twofold.quality.models import CapaAction, Nonconformance

router = Router(tags=["quality"])

SeverityName = Literal["minor", "major", "critical"]
SourceName = Literal["out_of_limits", "failed_check", "missed_routine", "sla_breach", "manual"]
ActionKindName = Literal["corrective", "preventive"]
ActionStatusName = Literal["open", "done"]


class CapaActionOut(Schema):
    id: int
    nonconformance_id: int
    kind: ActionKindName
    description: str
    owner_id: int | None
    due_on: dt.date
    status: ActionStatusName
    done_on: dt.date | None
    outcome: str
    version: int


class NonconformanceOut(Schema):
    id: int
    number: int
    code: str = Field(..., description="e.g. NC-0007")
    title: str
    description: str
    severity: SeverityName
    status: Literal["open", "closed"]
    source: SourceName
    source_label: str
    source_url: str | None = Field(..., description="The page of the record it came from")
    process_id: int | None
    occurrence_id: int | None
    step_id: int | None
    routine_id: int | None
    request_id: int | None
    reading: float | None
    raised_at: dt.datetime
    raised_by_id: int | None
    containment: str
    root_cause: str
    verified_on: dt.date | None
    verified_by_id: int | None
    verification: str
    effective: bool | None
    verification_state: Literal["not_verified", "effective", "not_effective", "needed_again"] = (
        Field(
            ...,
            description="needed_again: an action was added, reopened or done after the last "
            "verification (its date, who and result stay)",
        )
    )
    closed_at: dt.datetime | None
    closed_by_id: int | None
    open_actions: int
    action_count: int
    version: int
    actions: list[CapaActionOut] | None = None


class NonconformanceIn(BodyIn):
    title: StrictStr = Field(..., min_length=1, max_length=200)
    process_id: StrictInt | None = None
    severity: SeverityName = "minor"
    description: StrictStr = Field("", max_length=10_000)
    containment: StrictStr = Field("", max_length=10_000)


class NonconformancePatch(BodyIn):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    title: StrictStr | None = Field(None, min_length=1, max_length=200)
    process_id: StrictInt | None = None
    severity: SeverityName | None = None
    description: StrictStr | None = Field(None, max_length=10_000)
    containment: StrictStr | None = Field(None, max_length=10_000)
    root_cause: StrictStr | None = Field(None, max_length=10_000)


class CapaActionIn(BodyIn):
    kind: ActionKindName = "corrective"
    description: StrictStr = Field(..., min_length=1, max_length=300)
    owner_id: StrictInt
    due_on: StrictDate


class CapaActionPatch(BodyIn):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    kind: ActionKindName | None = None
    description: StrictStr | None = Field(None, min_length=1, max_length=300)
    owner_id: StrictInt | None = None
    due_on: StrictDate | None = None
    status: ActionStatusName | None = None
    done_on: StrictDate | None = Field(None, description="With status done; today if omitted")
    outcome: StrictStr | None = Field(None, max_length=300)


class VerificationIn(BodyIn):
    version: StrictInt
    verification: StrictStr = Field(..., min_length=1, max_length=10_000)
    effective: StrictBool
    verified_on: StrictDate | None = Field(None, description="Today if omitted")


class CloseIn(BodyIn):
    version: StrictInt


class AuditExportIn(BodyIn):
    start: StrictDate
    end: StrictDate = Field(..., description="Inclusive")


class NonconformanceFilters(Schema):
    status: Literal["open", "closed", "all"] = "open"
    severity: SeverityName | None = None
    process_id: ObjectId | None = None


def _action_out(a: CapaAction) -> CapaActionOut:
    return CapaActionOut.model_validate(a, from_attributes=True)


def _nc_out(nc: Nonconformance, actions: list[CapaAction] | None = None) -> NonconformanceOut:
    link = selectors.source_link(nc)
    names = set(NonconformanceOut.model_fields) - {"source_label", "source_url", "actions"}
    out = NonconformanceOut(
        **{name: getattr(nc, name) for name in names},
        source_label=link.label,
        source_url=link.url,
    )
    if actions is not None:
        out.actions = [_action_out(a) for a in actions]
    return out


def _nc(request: HttpRequest, pk: int) -> Nonconformance:
    return selectors.get_nonconformance(request.user, pk)


def _process(org_id: int, process_id: int | None) -> Process | None:
    if process_id is None:
        return None
    process = Process.objects.filter(pk=process_id, organisation_id=org_id).first()
    if process is None:
        raise Invalid("No such process in this organisation.", field="process_id")
    return process


def _member(org_id: int, user_id: int) -> User:
    user = User.objects.filter(pk=user_id, memberships__organisation_id=org_id).first()
    if user is None:
        raise Invalid("The owner must be a member of the organisation.", field="owner_id")
    return user


def _detail(nc: Nonconformance) -> NonconformanceOut:
    fresh = selectors.nonconformances_query().get(pk=nc.pk)
    return _nc_out(fresh, selectors.actions_of(fresh))


@router.get(
    "/organisations/{org_id}/nonconformances",
    response={200: list[NonconformanceOut], **READ},
    summary="Nonconformances of an organisation (open by default), newest first",
)
def list_nonconformances(
    request: HttpRequest, org_id: int, filters: Query[NonconformanceFilters]
) -> list[NonconformanceOut]:
    org = get_organisation(request.user, org_id)
    found = selectors.nonconformances_of(
        org,
        selectors.Filters(
            status=filters.status, severity=filters.severity or "", process_id=filters.process_id
        ),
    )
    return [_nc_out(nc) for nc in found]


@router.post(
    "/organisations/{org_id}/nonconformances",
    response={201: NonconformanceOut, **WRITE},
    summary="Raise a nonconformance by hand (members)",
)
def raise_nonconformance(
    request: HttpRequest, org_id: int, payload: NonconformanceIn
) -> Status[NonconformanceOut]:
    org = get_organisation(request.user, org_id)
    nc = services.raise_nonconformance(
        actor=actor_of(request),
        organisation=org,
        title=payload.title,
        process=_process(org.pk, payload.process_id),
        severity=payload.severity,
        description=payload.description,
        containment=payload.containment,
    )
    return Status(201, _detail(nc))


@router.get(
    "/nonconformances/{pk}",
    response={200: NonconformanceOut, **READ},
    summary="A nonconformance with its actions",
)
def get_nonconformance(request: HttpRequest, pk: int) -> NonconformanceOut:
    nc = _nc(request, pk)
    return _nc_out(nc, selectors.actions_of(nc))


@router.patch(
    "/nonconformances/{pk}",
    response={200: NonconformanceOut, **WRITE},
    summary="Edit the record: title, severity, containment, root cause (members)",
)
def patch_nonconformance(
    request: HttpRequest, pk: int, payload: NonconformancePatch
) -> NonconformanceOut:
    nc = _nc(request, pk)
    values: dict[str, Any] = payload.model_dump(
        exclude_unset=True, exclude={"version", "process_id"}
    )
    for key, value in values.items():
        if value is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    if "process_id" in payload.model_fields_set:
        values["process"] = _process(nc.organisation_id, payload.process_id)
    services.update_nonconformance(
        actor=actor_of(request), nc=nc, expected_version=payload.version, **values
    )
    return _detail(nc)


@router.post(
    "/nonconformances/{pk}/actions",
    response={201: CapaActionOut, **WRITE},
    summary="Add a corrective or preventive action with its owner and due date (members)",
)
def add_action(request: HttpRequest, pk: int, payload: CapaActionIn) -> Status[CapaActionOut]:
    nc = _nc(request, pk)
    action = services.add_action(
        actor=actor_of(request),
        nc=nc,
        kind=payload.kind,
        description=payload.description,
        owner=_member(nc.organisation_id, payload.owner_id),
        due_on=payload.due_on,
    )
    return Status(201, _action_out(action))


@router.patch(
    "/capa-actions/{pk}",
    response={200: CapaActionOut, **WRITE},
    summary="Edit an action or mark it done (members)",
)
def patch_action(request: HttpRequest, pk: int, payload: CapaActionPatch) -> CapaActionOut:
    action = selectors.get_action(request.user, pk)
    values: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude={"version", "owner_id"})
    for key, value in values.items():
        if value is None and key != "done_on":
            raise Invalid(f"{key} cannot be null.", field=key)
    if "owner_id" in payload.model_fields_set:
        if payload.owner_id is None:
            raise Invalid("owner_id cannot be null.", field="owner_id")
        values["owner"] = _member(action.organisation_id, payload.owner_id)
    services.update_action(
        actor=actor_of(request), action=action, expected_version=payload.version, **values
    )
    return _action_out(action)


@router.post(
    "/nonconformances/{pk}/verification",
    response={200: NonconformanceOut, **WRITE},
    summary="Record the verification of effectiveness (the process owner)",
)
def verify(request: HttpRequest, pk: int, payload: VerificationIn) -> NonconformanceOut:
    nc = _nc(request, pk)
    services.verify_nonconformance(
        actor=actor_of(request),
        nc=nc,
        expected_version=payload.version,
        verification=payload.verification,
        effective=payload.effective,
        verified_on=payload.verified_on,
    )
    return _detail(nc)


@router.post(
    "/nonconformances/{pk}/close",
    response={200: NonconformanceOut, **WRITE},
    summary="Close: every action done and verified effective (the process owner)",
)
def close(request: HttpRequest, pk: int, payload: CloseIn) -> NonconformanceOut:
    nc = _nc(request, pk)
    services.close_nonconformance(actor=actor_of(request), nc=nc, expected_version=payload.version)
    return _detail(nc)


ZIP_CONTENT = {
    "responses": {
        200: {
            "description": "The audit trail ZIP (small ranges)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.post(
    "/processes/{pk}/audit-export",
    response={200: None, 202: JobOut, **WRITE},
    summary="Audit trail ZIP of a process over a date range: at once, or 202 with a job",
    openapi_extra=ZIP_CONTENT,
)
def audit_export(request: HttpRequest, pk: int, payload: AuditExportIn) -> Any:
    process = ops.get_process(request.user, pk)
    scope = audit.AuditScope.checked(process, payload.start, payload.end)
    if audit.needs_job(scope):
        job = core_services.enqueue_job(
            actor=actor_of(request),
            kind=jobs.AUDIT_JOB,
            subject=process,
            params={"start": scope.start.isoformat(), "end": scope.end.isoformat()},
            action=Action.VIEW,
        )
        return Status(202, job_out(job))
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    audit.write_zip(scope, spool, by=request.user)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=scope.file_name, content_type="application/zip"
    )


@router.get(
    "/organisations/{org_id}/audit-exports/{job_id}",
    response={200: None, 404: ErrorOut, 401: ErrorOut},
    summary="Download the ZIP of a finished audit export job",
    openapi_extra=ZIP_CONTENT,
)
def audit_download(request: HttpRequest, org_id: int, job_id: int) -> Any:
    org = get_organisation(request.user, org_id)
    job = core_selectors.get_job(request.user, org, job_id, kind=jobs.AUDIT_JOB)
    path = jobs.export_path(job)
    if job.status != JobStatus.SUCCEEDED or not path.exists():
        raise NotFound("This export is not ready or no longer kept.")
    name = (job.result or {}).get("file_name") or f"audit-{job.pk}.zip"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )
