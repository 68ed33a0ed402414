"""Pages for standing reservations ("30 % on-call for Line 2"): list, add, remove."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from twofold.accounts.models import Organisation
from twofold.capacity import selectors, services
from twofold.capacity.forms import ReservationForm
from twofold.capacity.models import Reservation
from twofold.core.errors import Forbidden, ServiceError
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    render_page,
    whole_number,
)


def current_reservations(organisation: Organisation) -> list[Reservation]:
    """Reservations that have not ended, by start (one query)."""
    today = timezone.localdate()
    return list(
        Reservation.objects.filter(organisation=organisation)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .select_related("person", "team")
        .order_by("start", "pk")
    )


@organisation_required
@require_http_methods(["GET", "POST"])
def reservations(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    people = selectors.people_of(organisation)
    teams = selectors.teams_of(organisation)
    manage = can(actor_of(request), Action.MANAGE, organisation)
    status = 200
    if request.method == "POST":
        form = ReservationForm(request.POST, people=people, teams=teams)
        status = 422
        if form.is_valid():
            try:
                services.create_reservation(
                    actor=actor_of(request), organisation=organisation, **form.values()
                )
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                messages.success(request, "Reservation saved.")
                return redirect("capacity:reservations")
    else:
        form = ReservationForm(initial={"start": timezone.localdate()}, people=people, teams=teams)
    return render_page(
        request,
        "capacity/pages/reservations.html",
        {
            "section": "people",
            "form": form,
            "rows": current_reservations(organisation),
            "can_manage": manage,
        },
        status=status,
    )


@organisation_required
@require_POST
def reservation_delete(request: HttpRequest, reservation_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    reservation = (
        Reservation.objects.filter(organisation=organisation, pk=reservation_id)
        .select_related("organisation", "person", "team")
        .first()
    )
    if reservation is None:
        raise Http404("Reservation not found.")
    try:
        services.delete_reservation(
            actor=actor_of(request),
            reservation=reservation,
            expected_version=whole_number(request.POST.get("version")),
        )
    except Forbidden as error:
        return forbidden_page(request, error.message, back=reverse("capacity:reservations"))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("capacity:reservations")
    messages.success(request, "Reservation removed.")
    return redirect("capacity:reservations")
