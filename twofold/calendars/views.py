"""The calendars page (Settings → Calendars): list, create, edit hours, holidays, history.

Views are thin: they parse forms and call the same services as the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from twofold.calendars import selectors, services
from twofold.calendars.forms import WEEKDAYS, CalendarForm, HolidayForm, NewCalendarForm, hours_text
from twofold.calendars.models import Calendar, Holiday
from twofold.core.errors import Forbidden, NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    job_panel,
    organisation_of,
    organisation_required,
    posted_version,
    requested_job,
)

SECTION = "settings"


def _calendar(request: HttpRequest, pk: int) -> Calendar:
    try:
        calendar = selectors.get_calendar(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if calendar.organisation_id != organisation_of(request).pk:
        raise Http404("Calendar not found.")
    return calendar


def _week(calendar: Calendar) -> list[tuple[str, str]]:
    """(weekday, "08:00–12:00, 13:00–17:00" / "closed" / "as in base") for the table."""
    return [
        (day[:3], hours_text(calendar.hours.get(str(d))) or "as in base")
        for d, day in enumerate(WEEKDAYS)
    ]


def _job_url(pk: int, outcome: services.Outcome) -> str:
    assert outcome.job is not None
    return f"{reverse('calendars:detail', args=[pk])}?job={outcome.job.pk}"


def _say(request: HttpRequest, outcome: services.Outcome, done: str) -> None:
    text = f"{done} {outcome.message}".strip()
    messages.success(request, text)


@organisation_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, org)
    if request.method == "GET" and not Calendar.objects.filter(organisation=org).exists():
        # An organisation created before its default was wired in: give it the Standard week.
        services.ensure_default_calendar(org)
    form = NewCalendarForm(request.POST if request.method == "POST" else None, organisation=org)
    status = 200
    if request.method == "POST":
        if not can_manage:
            status = 403
            form.add_error(None, "Only admins can create calendars.")
        elif form.is_valid():
            try:
                calendar = services.create_calendar(
                    actor=actor_of(request),
                    organisation=org,
                    name=form.cleaned_data["name"],
                    hours={} if form.cleaned_data["base"] else None,
                    base=form.cleaned_data["base"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Calendar {calendar.name} created.")
                return redirect("calendars:detail", calendar.pk)
        else:
            status = 400
    rows = [(c, _week(c)) for c in selectors.calendars_of(org)]
    return render(
        request,
        "calendars/pages/list.html",
        {
            "rows": rows,
            "weekdays": [d[:3] for d in WEEKDAYS],
            "form": form,
            "can_manage": can_manage,
            "section": SECTION,
        },
        status=status,
    )


def _job_context(request: HttpRequest, calendar: Calendar) -> dict[str, Any]:
    job = requested_job(
        request, request.GET.get("job", ""), subject=calendar, kind=services.RESCHEDULE_JOB
    )
    if job is None:
        return {}
    if job.is_finished:
        return {"job": job}
    return {
        "job": job,
        "job_panel": job_panel(
            request,
            job,
            title="Rescheduling the projects on this calendar",
            poll_url=request.get_full_path(),
        ),
    }


def _detail(
    request: HttpRequest,
    calendar: Calendar,
    form: CalendarForm | None = None,
    holiday_form: HolidayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, calendar)
    job = _job_context(request, calendar)
    if getattr(request, "htmx", False) and job:
        if "job_panel" in job:
            return render(request, "calendars/partials/job.html", job)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    form = form or CalendarForm(
        organisation=org, calendar=calendar, initial=CalendarForm.initial_for(calendar)
    )
    holiday_form = holiday_form or HolidayForm(
        initial={"version": calendar.version}, auto_id="holiday_%s"
    )
    base_holidays: list[tuple[Calendar, Holiday]] = []
    step = calendar.base
    while step is not None and len(base_holidays) < 500:
        base_holidays.extend((step, h) for h in step.holidays.all())
        step = step.base
    return render(
        request,
        "calendars/pages/detail.html",
        {
            "calendar": calendar,
            "form": form,
            "holiday_form": holiday_form,
            "holidays": selectors.holidays_of(calendar),
            "base_holidays": base_holidays,
            "describe": services.describe,
            "can_manage": can_manage,
            "history": history_for(calendar, limit=20, viewer=request.user),
            "section": SECTION,
            **job,
        },
        status=status,
    )


@organisation_required
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    if request.method != "POST":
        return _detail(request, calendar)
    org = organisation_of(request)
    form = CalendarForm(request.POST, organisation=org, calendar=calendar)
    if not form.is_valid():
        return _detail(request, calendar, form=form, status=400)
    data = form.cleaned_data
    values: dict[str, Any] = {"name": data["name"], "hours": data["hours"], "base": data["base"]}
    if data.get("is_default") and not calendar.is_default:
        values["is_default"] = True
    try:
        outcome = services.update_calendar(
            actor=actor_of(request),
            calendar=calendar,
            expected_version=data["version"],
            **values,
        )
    except ServiceError as exc:
        if exc.field == "hours":
            exc.field = None
        status = apply_service_error(form, exc)
        calendar.refresh_from_db()
        return _detail(request, calendar, form=form, status=status)
    _say(request, outcome, f"Calendar {calendar.name} saved.")
    if outcome.job is not None:
        return redirect(_job_url(calendar.pk, outcome))
    return redirect("calendars:detail", calendar.pk)


@organisation_required
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    if request.method != "POST":
        return redirect("calendars:detail", pk)
    form = HolidayForm(request.POST, auto_id="holiday_%s")
    if not form.is_valid():
        return _detail(request, calendar, holiday_form=form, status=400)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        holiday, outcome = services.add_holiday(
            actor=actor_of(request), calendar=calendar, expected_version=version, **data
        )
    except ServiceError as exc:
        status = apply_service_error(form, exc)
        calendar.refresh_from_db()
        return _detail(request, calendar, holiday_form=form, status=status)
    _say(request, outcome, f"{services.describe(holiday)} added.")
    if outcome.job is not None:
        return redirect(_job_url(pk, outcome))
    return redirect("calendars:detail", pk)


@organisation_required
def holiday_delete(request: HttpRequest, pk: int, holiday_id: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    if request.method != "POST":
        return redirect("calendars:detail", pk)
    holiday = calendar.holidays.filter(pk=holiday_id).first()
    if holiday is None:
        raise Http404("Holiday not found.")
    version = request.POST.get("version", "")
    try:
        outcome = services.delete_holiday(
            actor=actor_of(request),
            holiday=holiday,
            expected_version=posted_version(version),
        )
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from exc
        if isinstance(exc, Forbidden):
            return forbidden_page(request, exc.message, back=reverse("calendars:detail", args=[pk]))
        messages.error(request, exc.message)
        return redirect("calendars:detail", pk)
    _say(request, outcome, "Holiday removed.")
    if outcome.job is not None:
        return redirect(_job_url(pk, outcome))
    return redirect("calendars:detail", pk)


@organisation_required
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar(request, pk)
    if request.method != "POST":
        return redirect("calendars:detail", pk)
    version = request.POST.get("version", "")
    try:
        services.delete_calendar(
            actor=actor_of(request),
            calendar=calendar,
            expected_version=posted_version(version),
        )
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from exc
        if isinstance(exc, Forbidden):
            return forbidden_page(request, exc.message, back=reverse("calendars:detail", args=[pk]))
        messages.error(request, exc.message)
        return redirect("calendars:detail", pk)
    messages.success(request, f"Calendar {calendar.name} deleted.")
    return redirect("calendars:list")
