"""Attachment pages: list and upload for a project or task, download with safe headers, delete."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from twofold.attachments import mentions, selectors, services
from twofold.attachments.models import Attachment
from twofold.core.errors import NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    render_page,
)
from twofold.customfields.selectors import get_target
from twofold.customfields.views import target_url


class UploadForm(forms.Form):
    file = forms.FileField(label="File", allow_empty_file=True)


@organisation_required
def attachments(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    try:
        target = get_target(request.user, organisation_of(request), kind, target_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                # Size and type first, before anything else reads the file.
                services.check_upload(upload.name or "", int(upload.size or 0))
            if form.is_valid():
                a = services.upload(
                    actor=actor_of(request), target=target, file=form.cleaned_data["file"]
                )
                messages.success(request, f"Attached {a.original_name}.")
                return redirect(target_url(target))
            status = 400
        except ServiceError as exc:
            status = apply_service_error(form, exc)
            if (
                status == 422
                and upload is not None
                and int(upload.size or 0) > services.size_limit()
            ):
                status = 413
    return render_page(
        request,
        "attachments/pages/attachments.html",
        {
            "target": target,
            "target_url": target_url(target),
            "kind": kind,
            "form": form,
            "attachments": list(selectors.attachments_of(target)),
            "can_upload": can(request.user, Action.CONTRIBUTE, target),
            # Delete is offered where the service allows it: the uploader, or an admin.
            "can_delete_any": can(request.user, Action.MANAGE, target),
            "section": "projects",
        },
        status=status,
    )


@organisation_required
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        a, _target = selectors.get_attachment(request.user, organisation_of(request), attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return file_response(a)


def file_response(a: Attachment) -> FileResponse:
    """The stored file as a download with safe headers (the page's and the API's)."""
    try:
        handle = a.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(
        handle,
        content_type=services.ALLOWED.get(
            "." + str(a.file.name).rsplit(".", 1)[-1].lower(), "application/octet-stream"
        ),
    )
    ascii_name = "".join(
        c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in a.original_name
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(a.original_name, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Content-Length"] = str(a.size)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@organisation_required
def delete(request: HttpRequest, attachment_id: int) -> HttpResponse:
    try:
        a, target = selectors.get_attachment(request.user, organisation_of(request), attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        services.delete(actor=actor_of(request), attachment=a, target=target)
    except ServiceError as exc:
        # The reason on a full page (a bare text answer before, and the same reason left
        # behind as a flash for the next page).
        return forbidden_page(request, exc.message, back=target_url(target))
    messages.success(request, f"Deleted {a.original_name}.")
    return redirect(target_url(target))


@organisation_required
def my_mentions(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    return render_page(
        request,
        "attachments/pages/mentions.html",
        {
            "comments": mentions.comments_mentioning(actor_of(request), org),
            "directory": mentions.directory(org.pk),
            "section": "my-work",
        },
    )
