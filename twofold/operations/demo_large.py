"""Operations at scale for the large demo (``twofold demo --scale large``) and the benchmarks.

About 40 processes (ten kinds of work at four plants), 120 KPIs with two years of weekly values,
50 routines with a year of occurrences, and 6 request queues holding 20,000 requests over two
years. Everything is generated in memory with a fixed seed and bulk-inserted in batches; SLA
outcomes are fixed by construction (the timeline of each request is laid out in business minutes,
so whether it met its target is known without replaying the clock) and KPI rollups are computed
once at the end. Loading takes a few seconds on a small machine.

Names do not collide with the normal demo (``operations/demo.py``), so both can live in one
organisation; calendars of the same name are reused.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.engine.calendars import add_working_minutes
from twofold.operations.calendars import aware, engine_calendar, local
from twofold.operations.demo import IT_TITLES, MAINT_TITLES, OFFICE, PLANT, _series
from twofold.operations.models import (
    DEFAULT_SLA_HOURS,
    BusinessCalendar,
    Evidence,
    Frequency,
    GoodDirection,
    Kpi,
    Measurement,
    Occurrence,
    OccurrenceStatus,
    Priority,
    Process,
    Queue,
    Request,
    RequestEvent,
    Routine,
    RoutineStep,
    ShiftRule,
    SpendEntry,
    Status,
)
from twofold.operations.services import due_between, refresh_kpi_states

BATCH = 2000
SITES = ["Plant A (Drammen)", "Plant B (Kongsberg)", "Plant C (Gdańsk)", "Plant D (Porto)"]
KINDS: list[tuple[str, str, int]] = [
    ("Line 1 production", "Production", 220000),
    ("Line 2 production", "Production", 250000),
    ("Line 3 production", "Production", 180000),
    ("Goods-in inspection", "Quality", 40000),
    ("Dispatch", "Logistics", 60000),
    ("Preventive maintenance", "Maintenance", 120000),
    ("Server patching", "IT", 30000),
    ("Monthly close", "Finance", 50000),
    ("Customer complaints", "Quality", 15000),
    ("Gauge calibration", "Quality", 20000),
]
KPI_KINDS: list[tuple[str, str, str, float, float, float, float, float]] = [
    # name, unit, good direction, mean, sd, target, amber, red
    ("Scrap rate", "%", GoodDirection.DOWN, 2.1, 0.2, 2.0, 2.5, 3.0),
    ("OEE", "%", GoodDirection.UP, 78.0, 2.0, 80.0, 77.0, 72.0),
    ("On-time delivery", "%", GoodDirection.UP, 94.0, 1.5, 95.0, 93.0, 90.0),
    ("Unplanned downtime", "h", GoodDirection.DOWN, 5.0, 1.2, 4.0, 5.0, 8.0),
    ("First-pass yield", "%", GoodDirection.UP, 96.5, 0.8, 97.0, 96.0, 94.0),
    ("Lead time", "days", GoodDirection.DOWN, 6.0, 0.7, 6.0, 7.0, 9.0),
]
RULES: list[tuple[str, str, str, int]] = [
    # name, rrule, shift, effort
    ("Start-of-shift checks", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", ShiftRule.NONE, 15),
    ("Weekly 5S audit", "FREQ=WEEKLY;BYDAY=WE", ShiftRule.NEXT, 45),
    ("Month-end stock count", "FREQ=MONTHLY;BYMONTHDAY=-1", ShiftRule.PREVIOUS, 120),
    ("Fortnightly safety walk", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", ShiftRule.NEXT, 60),
    ("Backup restore test", "FREQ=MONTHLY;BYDAY=+1MO", ShiftRule.NONE, 90),
]
QUEUES: list[tuple[str, str, list[str]]] = [
    ("IT service desk (group)", "office", IT_TITLES),
    ("Maintenance requests, Plant A", "plant", MAINT_TITLES),
    ("Maintenance requests, Plant B", "plant", MAINT_TITLES),
    ("Maintenance requests, Plant C", "plant", MAINT_TITLES),
    ("Quality holds", "plant", ["Parts on hold at goods-in", "Gauge out of calibration"]),
    ("Facilities", "office", ["Heating in office 2", "Door access card", "Car park lights"]),
]
REQUESTS = 20_000


def _weekly_dates(today: dt.date, weeks: int) -> list[dt.date]:
    last_friday = today - dt.timedelta(days=(today.weekday() - 4) % 7 or 7)
    return [last_friday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create the large operations data set in ``organisation``; returns a summary."""
    rng = random.Random(20250101)
    org = organisation
    zone = org.timezone
    today = timezone.localdate()
    now = timezone.now()
    users: list[Any] = list(people.values()) or [None]
    # Guests only look on: they may ask, but own no process and work no routine or request
    # (the services refuse them there).
    guests = set(
        Membership.objects.filter(organisation=org, role=Role.GUEST).values_list(
            "user_id", flat=True
        )
    )
    workers: list[Any] = [u for u in people.values() if u.pk not in guests] or [None]
    teams = {t.name: t for t in Team.objects.filter(organisation=org)}
    # Derived from the organisation's default calendar: its own hours, the default's holidays.
    default = BusinessCalendar.objects.filter(organisation=org, is_default=True).first()
    office, _ = BusinessCalendar.objects.get_or_create(
        organisation=org,
        name="Office hours (UK)",
        defaults={"hours": OFFICE, "base": default},
    )
    plant, _ = BusinessCalendar.objects.get_or_create(
        organisation=org,
        name="Plant, two shifts",
        defaults={"hours": PLANT, "base": default},
    )

    taken = set(Process.objects.filter(organisation=org).values_list("name", flat=True))
    specs = [
        (f"{site} · {kind}", team, budget)
        for site in SITES
        for kind, team, budget in KINDS
        if f"{site} · {kind}" not in taken
    ]
    processes = Process.objects.bulk_create(
        [
            Process(
                organisation=org,
                name=name,
                description=f"{name.split(' · ')[1]} at {name.split(' · ')[0]}.",
                owner=rng.choice(workers),
                team=teams.get(team),
                annual_budget=Decimal(budget),
            )
            for name, team, budget in specs
        ],
        batch_size=BATCH,
    )
    spend = [
        SpendEntry(
            organisation=org,
            process=proc,
            spent_on=dt.date(today.year, month, min(28, today.day) if month == today.month else 28),
            amount=(proc.annual_budget / 12 * Decimal(str(rng.uniform(0.7, 1.3)))).quantize(
                Decimal("0.01")
            ),
            description="Parts, tooling and services",
        )
        for proc in processes
        for month in range(1, today.month + 1)
    ]
    SpendEntry.objects.bulk_create(spend, batch_size=BATCH)

    # 3 KPIs per process, two years of weekly values; some shift, some have an outlier.
    weeks = 104
    dates = _weekly_dates(today, weeks)
    kpis: list[Kpi] = []
    series: list[list[float]] = []
    for i, proc in enumerate(processes):
        for j in range(3):
            name, unit, good, mean, sd, target, amber, red = KPI_KINDS[(i + j) % len(KPI_KINDS)]
            shifts = {weeks - rng.randint(8, 40): mean + sd * 2.5} if rng.random() < 0.2 else {}
            values = _series(rng, weeks, mean, sd, shifts)
            if rng.random() < 0.15:
                values[rng.randrange(weeks)] += sd * 5 * (1 if good == GoodDirection.DOWN else -1)
            series.append(values)
            kpis.append(
                Kpi(
                    organisation=org,
                    process=proc,
                    name=name,
                    unit=unit,
                    good_direction=good,
                    target=target,
                    amber_threshold=amber,
                    red_threshold=red,
                    frequency=Frequency.WEEKLY,
                )
            )
    Kpi.objects.bulk_create(kpis, batch_size=BATCH)
    Measurement.objects.bulk_create(
        (
            Measurement(organisation=org, kpi=kpi, measured_on=day, value=round(value, 2))
            for kpi, values in zip(kpis, series, strict=True)
            for day, value in zip(dates, values, strict=True)
        ),
        batch_size=BATCH,
    )
    refresh_kpi_states(kpis)

    # 50 routines with a year of history and 30 days ahead.
    start = today - dt.timedelta(days=365)
    routines = Routine.objects.bulk_create(
        [
            Routine(
                organisation=org,
                process=processes[i % len(processes)],
                name=RULES[i % len(RULES)][0],
                rrule=RULES[i % len(RULES)][1],
                shift=RULES[i % len(RULES)][2],
                effort_minutes=RULES[i % len(RULES)][3],
                calendar=plant if RULES[i % len(RULES)][2] != ShiftRule.NONE else None,
                starts_on=start,
                due_time=dt.time(rng.choice([7, 10, 14, 16]), 0),
                assignee=rng.choice(workers),
            )
            for i in range(min(50, len(processes) * 2))
        ],
        batch_size=BATCH,
    )
    RoutineStep.objects.bulk_create(
        (
            RoutineStep(
                organisation=org,
                routine=r,
                position=pos,
                text=text,
                evidence=ev,
                min_value=lo,
                max_value=hi,
                unit=unit,
            )
            for r in routines
            for pos, (text, ev, lo, hi, unit) in enumerate(
                [
                    ("Reading within limits", Evidence.NUMBER, 0.0, 10.0, "bar"),
                    ("Area safe and tidy", Evidence.PASS_FAIL, None, None, ""),
                    ("Notes", Evidence.NOTE, None, None, ""),
                ],
                start=1,
            )
        ),
        batch_size=BATCH,
    )
    occurrences: list[Occurrence] = []
    for routine in routines:
        dues = due_between(routine, start, today + dt.timedelta(days=30), zone)
        for k, due in enumerate(dues):
            occ = Occurrence(organisation=org, routine=routine, due=due, created_at=due)
            if due <= now and k < len(dues) - 1 and dues[k + 1] <= now:
                roll = rng.random()
                if roll < 0.03:
                    occ.status = OccurrenceStatus.MISSED
                else:
                    late = roll > 0.9
                    occ.status = OccurrenceStatus.DONE
                    occ.completed_by = routine.assignee
                    occ.completed_at = due + (
                        dt.timedelta(hours=rng.uniform(1, 20))
                        if late
                        else -dt.timedelta(minutes=rng.uniform(5, 180))
                    )
            occurrences.append(occ)
    Occurrence.objects.bulk_create(occurrences, batch_size=BATCH)

    # 6 queues, 20,000 requests over two years.
    queues = []
    for name, kind, _titles in QUEUES:
        queue, _ = Queue.objects.get_or_create(
            organisation=org,
            name=name,
            defaults={
                "calendar": office if kind == "office" else plant,
                "process": rng.choice(processes) if processes else None,
                "sla_hours": DEFAULT_SLA_HOURS,
                "description": "Large demo queue.",
            },
        )
        queues.append(queue)
    total = 0
    per_queue = REQUESTS // len(queues)
    for queue, (_name, _kind, titles) in zip(queues, QUEUES, strict=True):
        total += _requests(rng, org, queue, titles, (users, workers), now, per_queue)
    return (
        f"large operations: {len(processes)} processes, {len(kpis)} KPIs "
        f"({len(kpis) * weeks} values), {len(routines)} routines ({len(occurrences)} "
        f"occurrences), {len(queues)} queues ({total} requests)"
    )


def _requests(
    rng: random.Random,
    org: Organisation,
    queue: Queue,
    titles: list[str],
    people: tuple[list[Any], list[Any]],
    now: dt.datetime,
    count: int,
) -> int:
    """``count`` requests spread over two years; the newest ~2 % still open. ``people``: who
    may ask (everyone) and who may work them (no guest).

    Each timeline is laid out in business minutes of the queue's calendar: the first response
    after a share of its target, maybe a wait on the requester (paused), then resolution after
    ``factor`` × the resolution target of *running* business time, so ``factor <= 1`` is met.
    """
    users, workers = people
    zone = org.timezone
    cal = engine_calendar(queue.calendar)
    span = 730 * 24 * 3600
    rows: list[tuple[Request, list[tuple[dt.datetime, str, str]]]] = []
    open_from = count - max(1, count // 50)
    for i in range(count):
        is_open = i >= open_from
        age = rng.uniform(0.05, 4) * 86400 if is_open else span * (1 - i / count) + 5 * 86400
        created_local = add_working_minutes(
            cal, local(now - dt.timedelta(seconds=age), zone), 0
        ).replace(second=0, microsecond=0)
        created = aware(created_local, zone)
        if created >= now:
            created_local = local(now - dt.timedelta(hours=2), zone).replace(microsecond=0)
            created = aware(created_local, zone)
        priority = rng.choices(Priority.values, weights=[1, 3, 8, 3])[0]
        target = queue.target_minutes(priority, "resolution")
        response_used = queue.target_minutes(priority, "response") * rng.uniform(0.1, 0.9)
        request = Request(
            organisation=org,
            queue=queue,
            title=titles[i % len(titles)],
            priority=priority,
            requester=rng.choice(users),
            assignee=rng.choice(workers),
            created_at=created,
        )
        events: list[tuple[dt.datetime, str, str]] = [(created, "", Status.NEW)]
        response_local = add_working_minutes(cal, created_local, response_used)
        response = aware(response_local, zone)
        if response < now:
            request.first_response_at = response
            request.response_met = True  # a share of the target, by construction
            request.response_minutes = response_used
            request.response_target_minutes = queue.target_minutes(priority, "response")
            request.status = Status.IN_PROGRESS
            events.append((response, Status.NEW, Status.IN_PROGRESS))
            factor = rng.uniform(0.3, 0.97) if rng.random() < 0.85 else rng.uniform(1.05, 1.8)
            used = response_used
            resume_local = response_local
            if rng.random() < 0.2:
                wait_local = add_working_minutes(cal, response_local, 30)
                used += 30
                resume_local = wait_local + dt.timedelta(hours=rng.uniform(3, 30))
                wait, resume = aware(wait_local, zone), aware(resume_local, zone)
                if wait < now:
                    events.append((wait, Status.IN_PROGRESS, Status.WAITING))
                    request.status = Status.WAITING
                if resume < now:
                    events.append((resume, Status.WAITING, Status.IN_PROGRESS))
                    request.status = Status.IN_PROGRESS
            running = max(target * factor, used + 1.0)  # business minutes the clock runs
            resolved = aware(add_working_minutes(cal, resume_local, running - used), zone)
            if not is_open and request.status == Status.IN_PROGRESS and resolved < now:
                request.status = Status.RESOLVED
                request.resolved_at = resolved
                request.resolution_met = running <= target
                request.resolution_minutes = running
                request.resolution_target_minutes = target
                events.append((resolved, Status.IN_PROGRESS, Status.RESOLVED))
        rows.append((request, events))
    created_rows = Request.objects.bulk_create([r for r, _ in rows], batch_size=BATCH)
    RequestEvent.objects.bulk_create(
        (
            RequestEvent(
                organisation=org,
                request=req,
                at=at,
                from_status=a,
                to_status=b,
                actor=req.assignee if a else req.requester,
            )
            for req, (_r, events) in zip(created_rows, rows, strict=True)
            for at, a, b in events
        ),
        batch_size=BATCH,
    )
    return len(created_rows)
