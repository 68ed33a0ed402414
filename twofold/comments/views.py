"""Comment pages: post (plain form or htmx), edit within the window, delete."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from twofold.comments import kinds, selectors, services
from twofold.comments.forms import CommentForm
from twofold.comments.templatetags.comments_tags import panel_context
from twofold.core.errors import NotFound, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    STALE_VERSION,
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
)


def _target(request: HttpRequest, kind: str, target_id: int):  # type: ignore[no-untyped-def]
    try:
        return selectors.get_target(request.user, organisation_of(request), kind, target_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _url(target: object) -> str:
    kind = kinds.kind_for(target)  # type: ignore[arg-type]
    return kind.url(target) if kind else "/"


@organisation_required
def add(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    """POST a comment on the object; GET goes to the object's page (its comments)."""
    target = _target(request, kind, target_id)
    if request.method != "POST":
        return redirect(_url(target) + "#comments")
    if not can(request.user, Action.CONTRIBUTE, target):
        return forbidden_page(
            request, "Your role does not allow you to comment.", back=_url(target)
        )
    form = CommentForm(request.POST, auto_id="id_comment_%s")
    status = 400
    if form.is_valid():
        try:
            comment = services.add_comment(
                actor=actor_of(request), target=target, body=form.cleaned_data["body"]
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return render(
                    request, "comments/partials/panel.html", panel_context(request, target)
                )
            return redirect(f"{_url(target)}#comment-{comment.pk}")
    if request.htmx:  # type: ignore[attr-defined]
        context = panel_context(request, target, form)
        return render(request, "comments/partials/panel.html", context, status=status)
    context = {"form": form, "kind": kinds.get(kind), "target": target, "target_url": _url(target)}
    return render(request, "comments/pages/refused.html", context, status=status)


def _edited_version(request: HttpRequest) -> int:
    """The version the edit form was opened at. The form always sends one: a post without it
    (or with a garbled one) is checked as stale (409), not saved over whatever is there now."""
    version = posted_version(request.POST.get("version"))
    return STALE_VERSION if version is None else version


@organisation_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        comment, target = selectors.get_comment(request.user, organisation_of(request), pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    url = _url(target)
    if not services.may_edit(request.user, comment):
        return forbidden_page(
            request, "Only its author can edit a comment, for a while after posting.", back=url
        )
    initial = {"body": comment.body, "version": comment.version}
    form = CommentForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.edit_comment(
                    actor=actor_of(request),
                    comment=comment,
                    target=target,
                    body=form.cleaned_data["body"],
                    expected_version=_edited_version(request),
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                return redirect(f"{url}#comment-{comment.pk}")
    context = {
        "form": form,
        "comment": comment,
        "target": target,
        "target_url": url,
        "kind": kinds.get(comment.target_kind),
        "editable_until": comment.created_at + services.edit_window(),
    }
    return render(request, "comments/pages/edit.html", context, status=status)


@require_POST
@organisation_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        comment, target = selectors.get_comment(request.user, organisation_of(request), pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    url = _url(target)
    raw = request.POST.get("version", "")
    try:
        services.delete_comment(
            actor=actor_of(request),
            comment=comment,
            target=target,
            expected_version=posted_version(raw),
        )
    except ServiceError as exc:
        if exc.status == 403:
            return forbidden_page(request, exc.message, back=url)
        return render(
            request, "403.html", {"exception": exc.message, "back": url}, status=exc.status
        )
    return redirect(f"{url}#comment-{comment.pk}")
