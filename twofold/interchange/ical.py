"""iCalendar (RFC 5545) bodies for calendar feeds, built with the ``icalendar`` package.

A person's feed holds their tasks and the milestones of projects they manage, sponsor or work
on (all-day events spanning the task's days), their routine occurrences (timed events ending at
the due time, in the person's time zone with its ``VTIMEZONE``) and their absences (all-day).
Milestones of archived projects are left out of a person's feed. A project feed holds the
project's milestones and the gates it has passed. Every kind of event (gates included) is
limited to a window around today (:data:`PAST` before, :data:`FUTURE` after) and to
:data:`MAX_EVENTS` per kind and per feed, so a subscription stays small; every event links to
its page.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone as tz
from icalendar import Calendar, Event, vText

from twofold.capacity.models import Absence
from twofold.core.dates import zone_or_none
from twofold.interchange.models import CalendarFeed, FeedKind
from twofold.operations.models import Occurrence
from twofold.projects.models import Gate, Project, Task

PAST = dt.timedelta(days=92)
FUTURE = dt.timedelta(days=400)
MAX_EVENTS = 2000
ROUTINE_SLOT = dt.timedelta(minutes=30)


def render_feed(feed: CalendarFeed) -> bytes:
    """The feed's calendar as ``text/calendar`` bytes."""
    zone = (
        zone_or_none(getattr(feed.owner, "timezone", ""))
        or zone_or_none(feed.organisation.timezone)
        or dt.UTC
    )
    cal = Calendar()
    cal.add("prodid", "-//Twofold//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # One line, escaped as TEXT like SUMMARY: icalendar gives X-WR-CALNAME no type of its own
    # and refused a project name with a line break (the feed answered 500).
    name = " ".join(f"{feed.label} ({feed.organisation.name})".split())
    cal.add("x-wr-calname", vText(name))
    cal.add("x-wr-timezone", str(zone))
    now = tz.now()
    window = (now - PAST, now + FUTURE)
    if feed.kind == FeedKind.PROJECT and feed.project is not None:
        events = _project_events(feed.project, window)
    else:
        events = _person_events(feed, window, zone)
    for event in events[:MAX_EVENTS]:
        event.add("dtstamp", now)
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _host() -> str:
    return urlsplit(settings.TWOFOLD_BASE_URL).hostname or "twofold"


def _url(path: str) -> str:
    return settings.TWOFOLD_BASE_URL + path


def _all_day(uid: str, summary: str, first: dt.date, last: dt.date, url: str, text: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{_host()}")
    event.add("summary", summary)
    event.add("dtstart", first)
    event.add("dtend", max(last, first) + dt.timedelta(days=1))  # DTEND is exclusive
    event.add("url", url)
    if text:
        event.add("description", text)
    event.add("transp", "TRANSPARENT")
    return event


def _day(value: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return value.astimezone(zone).date() if tz.is_aware(value) else value.date()


def _task_event(task: Task, zone: dt.tzinfo, kind: str) -> Event | None:
    if task.start is None:
        return None
    first = _day(task.start, zone)
    last = _day(task.finish or task.start, zone)
    project = task.project
    summary = f"◆ {task.name}" if task.is_milestone else task.name
    url = _url(reverse("projects:task", args=[project.pk, task.pk]))
    text = (
        f"{kind} in {project.code} {project.name}" if project.code else f"{kind} in {project.name}"
    )
    return _all_day(f"task-{task.pk}", summary, first, last, url, text)


def _person_events(
    feed: CalendarFeed, window: tuple[dt.datetime, dt.datetime], zone: dt.tzinfo
) -> list[Event]:
    user, org = feed.owner, feed.organisation
    events: list[Event] = []
    live = Q(project__archived_at__isnull=True, start__isnull=False)
    in_window = Q(finish__gte=window[0]) & Q(start__lte=window[1])
    mine = (
        Task.objects.filter(live & in_window, organisation=org, assignee=user)
        .select_related("project")
        .order_by("start", "pk")[:MAX_EVENTS]
    )
    seen = set()
    for task in mine:
        seen.add(task.pk)
        event = _task_event(task, zone, "Milestone" if task.is_milestone else "Task")
        if event is not None:
            events.append(event)
    projects = Project.objects.filter(organisation=org).filter(
        Q(manager=user) | Q(sponsor=user) | Q(tasks__assignee=user)
    )
    milestones = (
        Task.objects.filter(live & in_window, organisation=org, is_milestone=True)
        .filter(project__in=projects.values("pk"))
        .exclude(pk__in=seen)
        .select_related("project")
        .order_by("start", "pk")[:MAX_EVENTS]
    )
    for task in milestones:
        event = _task_event(task, zone, "Milestone")
        if event is not None:
            events.append(event)
    occurrences = (
        Occurrence.objects.filter(
            organisation=org,
            routine__assignee=user,
            due__gte=window[0],
            due__lte=window[1],
        )
        .select_related("routine", "routine__process")
        .order_by("due", "pk")[:MAX_EVENTS]
    )
    for occ in occurrences:
        event = Event()
        event.add("uid", f"occurrence-{occ.pk}@{_host()}")
        event.add("summary", f"{occ.routine.name} (due)")
        due = occ.due.astimezone(zone)
        event.add("dtstart", due - ROUTINE_SLOT)
        event.add("dtend", due)
        event.add("url", _url(reverse("operations:occurrence", args=[occ.pk])))
        event.add(
            "description", f"Routine of {occ.routine.process.name}; {occ.get_status_display()}"
        )
        events.append(event)
    absences = Absence.objects.filter(
        organisation=org, person=user, end__gte=window[0].date(), start__lte=window[1].date()
    ).order_by("start", "pk")[:MAX_EVENTS]
    for absence in absences:
        events.append(
            _all_day(
                f"absence-{absence.pk}",
                absence.get_kind_display(),
                absence.start,
                absence.end,
                _url(reverse("accounts:person", args=[user.pk])),
                "",
            )
        )
    return events


def _project_events(project: Project, window: tuple[dt.datetime, dt.datetime]) -> list[Event]:
    zone = zone_or_none(project.organisation.timezone) or dt.UTC
    events: list[Event] = []
    in_window = Q(start__lte=window[1]) & (
        Q(finish__gte=window[0]) | Q(finish__isnull=True, start__gte=window[0])
    )
    milestones = (
        Task.objects.filter(in_window, project=project, is_milestone=True, start__isnull=False)
        .select_related("project")
        .order_by("start", "pk")[:MAX_EVENTS]
    )
    for task in milestones:
        event = _task_event(task, zone, "Milestone")
        if event is not None:
            events.append(event)
    gates = Gate.objects.filter(
        project=project, passed_at__gte=window[0], passed_at__lte=window[1]
    ).order_by("passed_at", "pk")[:MAX_EVENTS]
    for gate in gates:
        assert gate.passed_at is not None
        day = _day(gate.passed_at, zone)
        events.append(
            _all_day(
                f"gate-{gate.pk}",
                f"Gate passed: end of {gate.get_phase_display()} ({project.name})",
                day,
                day,
                _url(reverse("projects:detail", args=[project.pk])),
                "",
            )
        )
    return events
