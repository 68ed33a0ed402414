"""Change control pages: a project's changes, raising one (with a previewed impact), deciding one,
and the organisation's change board. Thin: parse, check, call the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from twofold.accounts.models import User
from twofold.changes import selectors, services
from twofold.changes.forms import (
    BoardForm,
    ChangeForm,
    DecisionForm,
    ItemFormSetFactory,
    change_values,
    tasks_for_form,
)
from twofold.changes.impact import ItemSpec, compute_impact
from twofold.changes.models import ChangeRequest, ChangeStatus
from twofold.core.errors import Conflict, NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
)
from twofold.evm.access import sees_money
from twofold.projects.models import Project


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return selectors.get_project(request.user, organisation_of(request), project_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _tabs(project: Project, request: HttpRequest) -> dict[str, Any]:
    return {
        "project": project,
        "tab": "changes",
        "can_edit": can(request.user, Action.EDIT, project),
        "can_manage": can(request.user, Action.MANAGE, project),
        "section": "projects",
    }


@organisation_required
def project_changes(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    if request.method == "POST":
        return HttpResponse(status=405)
    changes = list(selectors.changes_of(project))
    return render(
        request,
        "changes/pages/project_changes.html",
        {
            **_tabs(project, request),
            "changes": changes,
            "effect": selectors.cumulative_effect(project, changes),
            "who_decides": services.who_decides(project),
        },
    )


def readable(impact: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored impact with its ISO dates as dates (the templates format them)."""
    if not impact:
        return impact
    out = dict(impact)
    for side in ("before", "after"):
        figures = dict(out.get(side) or {})
        if figures.get("finish"):
            figures["finish"] = dt.date.fromisoformat(figures["finish"])
        out[side] = figures
    return out


def _specs(formset: Any) -> list[ItemSpec] | None:
    specs = []
    for form in formset.forms:
        spec = form.spec()
        if form.errors:
            return None
        if spec is not None:
            specs.append(spec)
    return specs


@organisation_required
def change_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    back = reverse("changes:project", args=[project.pk])
    if not can(request.user, Action.EDIT, project):
        return forbidden_page(
            request, "Your role lets you read changes, not raise them.", back=back
        )
    tasks = tasks_for_form(project)
    form = ChangeForm(request.POST or None)
    formset = ItemFormSetFactory(request.POST or None, prefix="items", form_kwargs={"tasks": tasks})
    impact = None
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid() and (specs := _specs(formset)) is not None:
            values = change_values(form)
            try:
                if "preview" in request.POST:
                    impact = readable(compute_impact(project, specs, values["budget_change"]))
                else:
                    change = services.raise_change_request(
                        actor=actor_of(request), project=project, items=specs, **values
                    )
                    messages.success(
                        request, f"{change.code} was raised; {services.who_decides(project)}"
                    )
                    return redirect("changes:detail", change_id=change.pk)
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    return render(
        request,
        "changes/pages/change_form.html",
        {
            **_tabs(project, request),
            "form": form,
            "formset": formset,
            "impact": impact,
            "show_money": sees_money(request.user, project),
        },
        status=status,
    )


@organisation_required
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    try:
        change = selectors.get_change(request.user, organisation_of(request), change_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    project = change.project
    may_decide = services.may_decide(request.user, project)
    may_withdraw = change.status == ChangeStatus.PROPOSED and (
        may_decide or change.requested_by_id == request.user.pk
    )
    withdrawing = request.method == "POST" and request.POST.get("action") == "withdraw"
    form = DecisionForm(
        request.POST if request.method == "POST" and not withdrawing else None,
        initial={"version": change.version},
    )
    status = 200
    if withdrawing:
        try:
            services.withdraw_change_request(
                actor=actor_of(request),
                change=change,
                reason=request.POST.get("reason", ""),
                expected_version=posted_version(request.POST.get("version")),
            )
        except Conflict as exc:  # decided or changed meanwhile: the page shows it as it is
            messages.error(request, exc.message)
            return redirect("changes:detail", change_id=change.pk)
        except ServiceError as exc:
            return forbidden_page(
                request, exc.message, back=reverse("changes:detail", args=[change.pk])
            )
        messages.success(request, f"{change.code} was withdrawn.")
        return redirect("changes:detail", change_id=change.pk)
    if request.method == "POST":
        if not may_decide:
            return forbidden_page(
                request,
                services.who_decides(project) + " Your role does not.",
                back=reverse("changes:detail", args=[change.pk]),
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    services.approve_change_request(
                        actor=actor_of(request),
                        change=change,
                        note=data["note"],
                        expected_version=data["version"],
                    )
                    messages.success(
                        request,
                        f"{change.code} was approved and applied; baseline #{change.baseline_number} saved.",
                    )
                else:
                    services.reject_change_request(
                        actor=actor_of(request),
                        change=change,
                        reason=data["note"],
                        expected_version=data["version"],
                    )
                    messages.success(request, f"{change.code} was rejected.")
                return redirect("changes:detail", change_id=change.pk)
            except ServiceError as exc:
                status = apply_service_error(form, exc)
        else:
            status = 400
    return render(
        request,
        "changes/pages/change_detail.html",
        {
            **_tabs(project, request),
            "change": change,
            "items": list(change.items.select_related("task", "parent", "predecessor")),
            "impact": readable(change.impact),
            "show_money": sees_money(request.user, project),
            "may_decide": may_decide and change.status == ChangeStatus.PROPOSED,
            "may_withdraw": may_withdraw,
            "who_decides": services.who_decides(project),
            "form": form,
            "history": history_for(change, viewer=request.user),
        },
        status=status,
    )


@organisation_required
def board(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, org)
    # The board as it counts (services.board_of): people who left or became guests are off it.
    current = sorted(services.board_of(org.pk).values_list("person_id", flat=True))
    shown = {"people": current, "seen": ",".join(str(pk) for pk in current)}
    form = BoardForm(request.POST or None, organisation_id=org.pk, initial=shown)
    status = 200
    if request.method == "POST":
        if not can_manage:
            return forbidden_page(
                request, "Only admins set the change board.", back=reverse("changes:board")
            )
        if form.is_valid():
            try:
                services.set_change_board(
                    actor=actor_of(request),
                    organisation=org,
                    people=list(form.cleaned_data["people"]),
                    expected=form.seen_ids(),
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
                if isinstance(exc, Conflict):  # drawn again with the board as it is now
                    form = BoardForm(initial=shown, organisation_id=org.pk)
                    form.cleaned_data = {}
                    form.add_error(None, exc.message)
            else:
                messages.success(request, "The change board was saved.")
                return redirect("changes:board")
        else:
            status = 400
    members: list[User] = [
        m.person
        for m in services.board_of(org.pk).select_related("person").order_by("person__full_name")
    ]
    return render(
        request,
        "changes/pages/board.html",
        {"form": form, "members": members, "can_manage": can_manage, "section": "projects"},
        status=status,
    )


def change_url(change: ChangeRequest) -> str:
    return reverse("changes:detail", args=[change.pk])
