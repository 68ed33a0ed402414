"""The HTTP API root: django-ninja at /api/, token or session auth, errors as JSON."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from twofold.accounts.auth import user_for_token
from twofold.core.api_docs import LocalSwagger
from twofold.core.errors import ServiceError, clash_conflict


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tf_<prefix>_<secret>`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


api = NinjaAPI(
    title="Twofold API",
    version="1",
    description=(
        "Projects and operations in one place. Authenticate with a personal API token "
        "(`Authorization: Bearer tf_…`, created under Settings → API tokens) or a browser session. "
        'Errors are JSON: `{"detail": message, "field": name-or-null}`; validation errors also '
        "list `errors` per field. Objects you cannot see answer 404; stale edits answer 409."
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
    return _error(request, exc.status, exc.message, exc.field)


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


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        errors.append({"field": ".".join(loc) or None, "message": err.get("msg", "Invalid value.")})
    first = errors[0] if errors else {"field": None, "message": "Invalid input."}
    detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    return _error(request, 422, detail, first["field"], errors=errors)


from twofold.accounts.api import router as accounts_router  # noqa: E402
from twofold.attachments.api import router as attachments_router  # noqa: E402
from twofold.calendars.api import router as calendars_router  # noqa: E402
from twofold.capacity.api import router as capacity_router  # noqa: E402
from twofold.core.api import router as core_router  # noqa: E402
from twofold.customfields.api import router as customfields_router  # noqa: E402
from twofold.improvement.api import router as improvement_router  # noqa: E402
from twofold.operations.api import router as operations_router  # noqa: E402
from twofold.project_templates.api import router as templates_router  # noqa: E402
from twofold.projects.api import router as projects_router  # noqa: E402
from twofold.projects.api_lifecycle import router as programmes_router  # noqa: E402
from twofold.risks.api import router as risks_router  # noqa: E402
from twofold.search.api import router as search_router  # noqa: E402

api.add_router("", accounts_router)
api.add_router("", projects_router)
api.add_router("", programmes_router)
api.add_router("", templates_router)
api.add_router("", operations_router)
api.add_router("", risks_router)
api.add_router("", capacity_router)
api.add_router("", improvement_router)
api.add_router("", customfields_router)
api.add_router("", attachments_router)
api.add_router("", core_router)
api.add_router("", calendars_router)
api.add_router("", search_router)
