"""The HTTP API root: django-ninja at /api/, token or session auth, errors as JSON."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from twofold.accounts.auth import user_for_token
from twofold.core.api_contract import TwofoldAPI, current_state, sent_version, version_missing
from twofold.core.api_docs import LocalSwagger
from twofold.core.api_lists import NotModified, not_modified
from twofold.core.errors import ServiceError, clash_conflict
from twofold.core.uploads import FULL_MESSAGE, is_disk_full


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tf_<prefix>_<secret>`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


api = TwofoldAPI(
    title="Twofold API",
    version="1",
    description=(
        "Projects and operations in one place. Authenticate with a personal API token "
        "(`Authorization: Bearer tf_…`, created under Settings → API tokens) or a browser session. "
        'Errors are JSON: `{"detail": message, "field": name-or-null}`; validation errors also '
        "list `errors` per field. Objects you cannot see answer 404. Edits carry the `version` you "
        "read: without it they answer 428; with a stale one 409, whose `current` is the object "
        "as it is now (with its current version)."
    ),
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    docs=LocalSwagger(),
)


def _error(
    request: HttpRequest, status: int, detail: str, field: str | None = None, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field, **extra}, status=status)


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if exc.status == 409 and sent_version(request):
        # A stale versioned write: hand back what is there now so the client can merge.
        return _error(request, 409, exc.message, exc.field, current=current_state(request))
    return _error(request, exc.status, exc.message, exc.field)


@api.exception_handler(OSError)
def on_os_error(request: HttpRequest, exc: OSError) -> HttpResponse:
    # A full disk or quota anywhere in a write is a 507 with a clear message, not a 500.
    if not is_disk_full(exc):
        raise exc
    return _error(request, 507, FULL_MESSAGE, "file")


@api.exception_handler(IntegrityError)
def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A check-then-write that lost a race to a concurrent write (two creates with one code).
    conflict = clash_conflict(exc)
    return _error(request, conflict.status, conflict.message, conflict.field)


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "Authentication required: a valid, unexpired, unrevoked API token or a session.",
    )


@api.exception_handler(NotModified)
def on_not_modified(request: HttpRequest, exc: NotModified) -> HttpResponse:
    # A synced list whose If-None-Match holds its ETag (core.api_lists): nothing was read.
    return not_modified(exc.etag)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


def _field_of(loc: Any) -> str | None:
    """The field a validation error names: its location less the leading parts that say where
    the input came from (``body``/``query``/``path``, then ``payload``). Only the leading ones:
    a field named ``body`` (a comment's) was dropped with them and the error named no field."""
    parts = [str(p) for p in loc]
    if parts[:1] in (["body"], ["query"], ["path"]):
        parts = parts[1:]
    if parts[:1] == ["payload"]:
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if version_missing(exc.errors):
        return _error(
            request,
            428,
            "version: send the version you read (it is in every object the API returns); "
            "a write without it could overwrite someone else's change.",
            "version",
        )
    errors = []
    for err in exc.errors:
        errors.append(
            {"field": _field_of(err.get("loc", ())), "message": err.get("msg", "Invalid value.")}
        )
    first = errors[0] if errors else {"field": None, "message": "Invalid input."}
    detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    return _error(request, 422, detail, first["field"], errors=errors)


from twofold.accounts.api import router as accounts_router  # noqa: E402
from twofold.accounts.api_tokens import router as tokens_router  # noqa: E402
from twofold.activity.api import router as activity_router  # noqa: E402
from twofold.attachments.api import router as attachments_router  # noqa: E402
from twofold.calendars.api import router as calendars_router  # noqa: E402
from twofold.capacity.api import router as capacity_router  # noqa: E402
from twofold.changes.api import router as changes_router  # noqa: E402
from twofold.closeout.api import router as closeout_router  # noqa: E402
from twofold.comments.api import router as comments_router  # noqa: E402
from twofold.core.api import router as core_router  # noqa: E402
from twofold.core.trash_api import router as trash_router  # noqa: E402
from twofold.costs.api import router as costs_router  # noqa: E402
from twofold.customfields.api import router as customfields_router  # noqa: E402
from twofold.evm.api import router as evm_router  # noqa: E402
from twofold.improvement.api import router as improvement_router  # noqa: E402
from twofold.improvement.api_go_live import router as go_live_router  # noqa: E402
from twofold.interchange.api import router as interchange_router  # noqa: E402
from twofold.interchange.sheet_api import router as sheet_router  # noqa: E402
from twofold.interchange.webhooks.api import router as webhooks_router  # noqa: E402
from twofold.notifications.api import router as notifications_router  # noqa: E402
from twofold.operations.api import router as operations_router  # noqa: E402
from twofold.operations.api_flow import router as flow_router  # noqa: E402
from twofold.operations.api_records import router as operations_records_router  # noqa: E402
from twofold.operations.api_spend import router as spend_router  # noqa: E402
from twofold.operations.api_work import router as operations_work_router  # noqa: E402
from twofold.project_templates.api import router as templates_router  # noqa: E402
from twofold.projects.api import router as projects_router  # noqa: E402
from twofold.projects.api_details import router as project_details_router  # noqa: E402
from twofold.projects.api_gates import router as gates_router  # noqa: E402
from twofold.projects.api_lifecycle import router as programmes_router  # noqa: E402
from twofold.projects.api_resourcing import router as resourcing_router  # noqa: E402
from twofold.quality.api import router as quality_router  # noqa: E402
from twofold.reports.api import router as reports_router  # noqa: E402
from twofold.risks.api import router as risks_router  # noqa: E402
from twofold.search.api import router as search_router  # noqa: E402
from twofold.work.api import router as work_router  # noqa: E402

api.add_router("", accounts_router)
api.add_router("", tokens_router)
api.add_router("", projects_router)
api.add_router("", programmes_router)
api.add_router("", gates_router)
api.add_router("", project_details_router)
api.add_router("", templates_router)
api.add_router("", operations_router)
api.add_router("", operations_records_router)
api.add_router("", spend_router)
api.add_router("", flow_router)
api.add_router("", risks_router)
api.add_router("", capacity_router)
api.add_router("", improvement_router)
api.add_router("", customfields_router)
api.add_router("", attachments_router)
api.add_router("", core_router)
api.add_router("", trash_router)
api.add_router("", calendars_router)
api.add_router("", search_router)
api.add_router("", costs_router)
api.add_router("", interchange_router)
api.add_router("", webhooks_router)
api.add_router("", sheet_router)
api.add_router("", quality_router)
api.add_router("", closeout_router)
api.add_router("", work_router)
api.add_router("", changes_router)
api.add_router("", evm_router)
api.add_router("", resourcing_router)
api.add_router("", operations_work_router)
api.add_router("", go_live_router)
api.add_router("", notifications_router)
api.add_router("", comments_router)
api.add_router("", activity_router)
api.add_router("", reports_router)


def unknown_route(request: HttpRequest) -> HttpResponse:
    """A path under /api/ that no route takes: 404 in the API's JSON shape (every error is)."""
    from django.http import JsonResponse

    return JsonResponse({"detail": "Not found.", "field": None}, status=404)
