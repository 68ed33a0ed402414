"""The Trash page (admins and owners): what was deleted, restore it or delete it now."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from twofold.core import trash
from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.web import (
    actor_of,
    organisation_of,
    organisation_required,
    posted_version,
    render_page,
)


def _admin(request: HttpRequest) -> None:
    try:
        trash.require_admin(request.user, organisation_of(request))
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFound as exc:  # pragma: no cover - organisation_required already checked
        raise Http404(exc.message) from exc


def _version_of(request: HttpRequest) -> int | None:
    return posted_version(request.POST.get("version"))


@organisation_required
def trash_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    organisation = organisation_of(request)
    kinds = trash.kinds()
    rows = [
        (entry, kinds[entry.kind].noun if entry.kind in kinds else entry.kind)
        for entry in trash.entries(organisation)
    ]
    return render_page(
        request,
        "core/pages/trash.html",
        {"rows": rows, "days": trash.retention_days(), "section": "settings"},
    )


@require_POST
@organisation_required
def trash_restore(request: HttpRequest, entry_id: int) -> HttpResponse:
    _admin(request)
    organisation = organisation_of(request)
    try:
        obj = trash.restore(
            actor=actor_of(request),
            organisation=organisation,
            entry_id=entry_id,
            expected_version=_version_of(request),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("core:trash")
    kind = trash.kind_of(obj)
    messages.success(request, f"Restored {kind.noun} “{obj}” with everything deleted with it.")
    return redirect(kind.url(obj))


@require_POST
@organisation_required
def trash_purge(request: HttpRequest, entry_id: int) -> HttpResponse:
    _admin(request)
    try:
        entry = trash.purge_now(
            actor=actor_of(request), organisation=organisation_of(request), entry_id=entry_id
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{entry.label} was deleted for good.")
    return redirect("core:trash")
