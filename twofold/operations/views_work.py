"""Pages' actions for assigning and re-prioritising a request, and for change points by hand.

POST only; each answers with a redirect back (the request page or the queue board) and a
message saying what changed, or what was wrong with the input (naming the field).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.core.errors import Forbidden, ServiceError
from twofold.core.web import (
    actor_of,
    forbidden_page,
    organisation_of,
    organisation_required,
    same_site_path,
    whole_number,
)
from twofold.operations import assignment, change_points, selectors
from twofold.operations.forms import AssignForm, ChangePointForm, PriorityForm
from twofold.operations.models import ChangePoint
from twofold.operations.views import _get


def _back(request: HttpRequest, default: str) -> str:
    return same_site_path(request, request.POST.get("next", "")) or default


def _errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label or name.capitalize() if name in form.fields else ""
        parts.append(
            f"{label}: {' '.join(str(e) for e in errors)}"
            if label
            else " ".join(str(e) for e in errors)
        )
    return " ".join(parts)


@organisation_required
@require_POST
def request_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """``action=assign`` (``assignee``, empty unassigns; ``me`` = the signed-in person) or
    ``action=priority`` (``priority``), both with the ``version`` read."""
    req = _get(request, selectors.get_request, pk)
    back = _back(request, reverse("operations:request", args=[req.pk]))
    actor = actor_of(request)
    data = request.POST.copy()
    if data.get("assignee") == "me":
        data["assignee"] = str(actor.pk)
    form: forms.Form
    if request.POST.get("action") == "priority":
        form = PriorityForm(data)
    else:
        form = AssignForm(data, organisation=organisation_of(request))
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(back)
    try:
        if isinstance(form, PriorityForm):
            assignment.reprioritise_request(
                actor=actor,
                request=req,
                priority=form.cleaned_data["priority"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(
                request,
                f"#{req.pk} is now {req.get_priority_display()}; its SLA targets follow "
                f"({req.queue.target_minutes(req.priority, 'resolution') / 60:g} h to resolve).",
            )
        else:
            who = form.cleaned_data["assignee"]
            assignment.assign_request(
                actor=actor,
                request=req,
                assignee=who,
                expected_version=form.cleaned_data["version"],
            )
            messages.success(
                request,
                f"#{req.pk} assigned to {who.display_name}." if who else f"#{req.pk} unassigned.",
            )
    except Forbidden as exc:
        return forbidden_page(request, exc.message, back=back)
    except ServiceError as exc:
        messages.error(request, f"{(exc.field or '').capitalize()}: {exc.message}".lstrip(": "))
    return redirect(back)


@organisation_required
@require_POST
def kpi_change_point(request: HttpRequest, pk: int) -> HttpResponse:
    """Add (``date``, ``label``) or remove (``remove`` = id) a change point recorded by hand."""
    kpi = _get(request, selectors.get_kpi, pk)
    back = reverse("operations:kpi", args=[kpi.pk])
    actor = actor_of(request)
    try:
        remove = request.POST.get("remove", "")
        if remove:
            remove_id = whole_number(remove)
            point = (
                ChangePoint.objects.filter(kpi=kpi, pk=remove_id).first()
                if remove_id is not None
                else None
            )
            if point is not None:
                change_points.remove_change_point(actor=actor, point=point)
                messages.success(request, "Change point removed.")
            return redirect(back)
        form = ChangePointForm(request.POST)
        if not form.is_valid():
            messages.error(request, _errors(form))
            return redirect(back)
        change_points.add_change_point(actor=actor, kpi=kpi, **form.cleaned_data)
        messages.success(request, "Change point added: the chart starts a new phase there.")
    except Forbidden as exc:
        return forbidden_page(request, exc.message, back=back)
    except ServiceError as exc:
        messages.error(request, f"{(exc.field or '').capitalize()}: {exc.message}".lstrip(": "))
    return redirect(back)
