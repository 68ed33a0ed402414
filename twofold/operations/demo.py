"""This context's part of the demo story (called by twofold/demo/loader.py).

Halvorsen Precision runs five processes. Two years of KPI history tell stories a control chart
should catch: Line 2's scrap rate shifted up after the spindle was replaced 14 weeks ago, and a
bad bar-stock batch gave one outlier a year ago. Routines are mostly on time, some late, a couple
missed, each run done with its checklist ticked (readings within limits, checks passed, notes);
the IT service desk and maintenance queues hold met and breached requests, and one that
waits on its requester (its SLA clock paused). Everything is bulk-created so loading stays fast.

``record_past_runs`` gives a routine created later in the story (through the services, which
schedule nothing before the routine's creation) the past runs it would have had.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, Team, User
from twofold.engine.calendars import add_working_minutes
from twofold.operations.calendars import aware, engine_calendar, local
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
    StepEvidence,
)
from twofold.operations.services import due_between, refresh_kpi_states, refresh_sla_outcomes

OFFICE = {str(d): ([["08:00", "12:30"], ["13:00", "17:30"]] if d < 5 else []) for d in range(7)}
PLANT = {str(d): ([["06:00", "22:00"]] if d < 5 else []) for d in range(7)}


def _series(
    rng: random.Random, n: int, mean: float, sd: float, shifts: dict[int, float]
) -> list[float]:
    values, level = [], mean
    for i in range(n):
        level = shifts.get(i, level)
        values.append(level + rng.gauss(0, sd))
    return values


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    rng = random.Random(20240601)
    org = organisation
    zone = org.timezone
    today = timezone.localdate()
    now = timezone.now()
    teams = {t.name: t for t in Team.objects.filter(organisation=org)}
    # Derived from the organisation's default calendar: its own hours, the default's holidays.
    default = BusinessCalendar.objects.filter(organisation=org, is_default=True).first()
    office = BusinessCalendar.objects.create(
        organisation=org, name="Office hours (UK)", hours=OFFICE, base=default
    )
    plant = BusinessCalendar.objects.create(
        organisation=org, name="Plant, two shifts", hours=PLANT, base=default
    )

    specs = [
        (
            "Monthly close",
            "Close the books by the fifth working day; reconcile, accrue, report.",
            "Henrik Lund",
            "Finance",
            60000,
        ),
        (
            "Line 2 production",
            "Two-shift CNC turning and milling of pump housings on Line 2.",
            "Oliver Brandt",
            "Production",
            250000,
        ),
        (
            "Server patching",
            "Monthly patching of the ERP, file and shop-floor servers.",
            "Chloe Martin",
            "IT",
            30000,
        ),
        (
            "Customer complaints",
            "Log, contain, investigate and answer customer complaints (8D).",
            "Rita Costa",
            "Quality",
            15000,
        ),
        (
            "Preventive maintenance",
            "Planned maintenance of machines and the building; reactive requests.",
            "Luis Ortega",
            "Maintenance",
            120000,
        ),
    ]
    processes = Process.objects.bulk_create(
        Process(
            organisation=org,
            name=name,
            description=desc,
            owner=people.get(owner),
            team=teams.get(team),
            annual_budget=Decimal(budget),
        )
        for name, desc, owner, team, budget in specs
    )
    p = {proc.name: proc for proc in processes}

    # Spend this year: roughly even monthly spend; maintenance runs hot.
    spend = []
    pace = {"Preventive maintenance": 1.25, "Server patching": 0.8}
    for proc in processes:
        monthly = proc.annual_budget / 12 * Decimal(str(pace.get(proc.name, 0.95)))
        for month in range(1, today.month + 1):
            day = dt.date(today.year, month, min(28, today.day if month == today.month else 28))
            amount = (monthly * Decimal(str(rng.uniform(0.8, 1.2)))).quantize(Decimal("0.01"))
            what = {
                "Monthly close": "Audit and ERP licences",
                "Line 2 production": "Tooling and inserts",
                "Server patching": "Backup storage and licences",
                "Customer complaints": "Lab tests and returns",
                "Preventive maintenance": "Spare parts and contractor",
            }[proc.name]
            spend.append(
                SpendEntry(
                    organisation=org,
                    process=proc,
                    spent_on=day,
                    amount=amount,
                    description=what,
                    created_by=proc.owner,
                )
            )
    SpendEntry.objects.bulk_create(spend)

    # KPIs: two years of weekly values (monthly for the close and patch compliance).
    weeks = 104
    last_friday = today - dt.timedelta(days=(today.weekday() - 4) % 7 or 7)
    weekly_dates = [last_friday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    months = [(today.replace(day=1) - dt.timedelta(days=1))]
    while len(months) < 24:
        months.insert(0, months[0].replace(day=1) - dt.timedelta(days=1))
    kpi_specs: list[
        tuple[
            Process,
            str,
            str,
            str,
            float,
            float | None,
            float,
            str,
            list[dt.date],
            list[float],
            tuple[int, int] | None,
        ]
    ] = []
    scrap = _series(rng, weeks, 2.1, 0.18, {weeks - 14: 2.75})
    scrap[weeks - 52] = 3.6  # bad bar-stock batch
    kpi_specs.append(
        (
            p["Line 2 production"],
            "Scrap rate",
            "%",
            GoodDirection.DOWN,
            2.0,
            2.5,
            3.0,
            Frequency.WEEKLY,
            weekly_dates,
            scrap,
            (0, 51),
        )
    )
    oee = _series(rng, weeks, 78.0, 2.0, {40: 81.5})
    kpi_specs.append(
        (
            p["Line 2 production"],
            "OEE",
            "%",
            GoodDirection.UP,
            80.0,
            77.0,
            72.0,
            Frequency.WEEKLY,
            weekly_dates,
            oee,
            None,
        )
    )
    close = [max(3.0, round(v)) for v in _series(rng, 24, 6.2, 0.7, {12: 5.0})]
    kpi_specs.append(
        (
            p["Monthly close"],
            "Working days to close",
            "days",
            GoodDirection.DOWN,
            5.0,
            5.0,
            7.0,
            Frequency.MONTHLY,
            months,
            close,
            None,
        )
    )
    patch = [min(100.0, v) for v in _series(rng, 24, 96.0, 1.5, {})]
    kpi_specs.append(
        (
            p["Server patching"],
            "Patch compliance",
            "%",
            GoodDirection.UP,
            95.0,
            95.0,
            90.0,
            Frequency.MONTHLY,
            months,
            patch,
            None,
        )
    )
    complaints = [max(0.0, v) for v in _series(rng, weeks, 1.4, 0.35, {})]
    kpi_specs.append(
        (
            p["Customer complaints"],
            "Complaints per 10,000 parts",
            "",
            GoodDirection.DOWN,
            1.5,
            2.0,
            3.0,
            Frequency.WEEKLY,
            weekly_dates,
            complaints,
            None,
        )
    )
    downtime = [max(0.0, v) for v in _series(rng, weeks, 5.0, 1.2, {70: 3.8})]
    kpi_specs.append(
        (
            p["Preventive maintenance"],
            "Unplanned downtime",
            "h",
            GoodDirection.DOWN,
            4.0,
            5.0,
            8.0,
            Frequency.WEEKLY,
            weekly_dates,
            downtime,
            None,
        )
    )
    kpis = Kpi.objects.bulk_create(
        Kpi(
            organisation=org,
            process=proc,
            name=name,
            unit=unit,
            good_direction=good,
            target=target,
            amber_threshold=amber,
            red_threshold=red,
            frequency=freq,
            baseline_start=dates[base[0]] if base else None,
            baseline_end=dates[base[1]] if base else None,
        )
        for proc, name, unit, good, target, amber, red, freq, dates, _values, base in kpi_specs
    )
    author = people.get("Rita Costa")
    Measurement.objects.bulk_create(
        Measurement(
            organisation=org,
            kpi=kpi,
            measured_on=day,
            value=round(value, 2),
            created_by=author,
            # Entered on the day it was measured (they read "today" for two years of values).
            created_at=aware(dt.datetime.combine(day, dt.time(16, 30)), zone),
            note="Spindle replaced on Line 2"
            if spec[1] == "Scrap rate" and i == weeks - 14
            else "",
        )
        for kpi, spec in zip(kpis, kpi_specs, strict=True)
        for i, (day, value) in enumerate(zip(spec[8], spec[9], strict=True))
    )
    refresh_kpi_states(kpis)

    # Routines with checklists and ~4 months of history.
    routine_specs: list[tuple[Any, ...]] = [
        (
            p["Monthly close"],
            "Bank reconciliation",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            ShiftRule.PREVIOUS,
            office,
            "Mei Chen",
            90,
            dt.time(16, 0),
            [
                ("Reconcile the main account", Evidence.NUMBER, -50.0, 50.0, "EUR"),
                ("Attach the bank statement", Evidence.FILE, None, None, ""),
                ("Explain open items", Evidence.NOTE, None, None, ""),
            ],
        ),
        (
            p["Line 2 production"],
            "Start-of-shift checks, Line 2",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            ShiftRule.NONE,
            None,
            "Jonas Berg",
            15,
            dt.time(6, 30),
            [
                ("Coolant concentration", Evidence.NUMBER, 6.0, 9.0, "%"),
                ("Guards and interlocks work", Evidence.PASS_FAIL, None, None, ""),
                ("Swarf bins emptied", Evidence.NONE, None, None, ""),
            ],
        ),
        (
            p["Server patching"],
            "Patch Tuesday",
            "FREQ=MONTHLY;BYDAY=+2TU",
            ShiftRule.NONE,
            None,
            "Raj Patel",
            240,
            dt.time(20, 0),
            [
                ("Snapshot the virtual machines", Evidence.NONE, None, None, ""),
                ("Servers rebooted", Evidence.NUMBER, 0.0, 40.0, "servers"),
                ("ERP smoke test", Evidence.PASS_FAIL, None, None, ""),
                ("Notes for the change log", Evidence.NOTE, None, None, ""),
            ],
        ),
        (
            p["Customer complaints"],
            "Weekly complaint review",
            "FREQ=WEEKLY;BYDAY=TH",
            ShiftRule.NEXT,
            office,
            "Hana Sato",
            60,
            dt.time(11, 0),
            [
                ("Review open 8D reports", Evidence.NOTE, None, None, ""),
                ("Containment verified", Evidence.PASS_FAIL, None, None, ""),
            ],
        ),
        (
            p["Preventive maintenance"],
            "Lubricate Line 2 spindles",
            "FREQ=WEEKLY;BYDAY=MO",
            ShiftRule.NEXT,
            plant,
            "Kwame Asante",
            45,
            dt.time(14, 0),
            [
                ("Grease used", Evidence.NUMBER, 5.0, 30.0, "g"),
                ("Spindle temperature after run-in", Evidence.NUMBER, 20.0, 45.0, "°C"),
            ],
        ),
    ]
    start = today - dt.timedelta(days=120)
    routines = Routine.objects.bulk_create(
        Routine(
            organisation=org,
            process=proc,
            name=name,
            rrule=rule,
            starts_on=start,
            due_time=due_time,
            shift=shift,
            calendar=cal,
            assignee=people.get(who),
            effort_minutes=effort,
        )
        for proc, name, rule, shift, cal, who, effort, due_time, _steps in routine_specs
    )
    RoutineStep.objects.bulk_create(
        RoutineStep(
            organisation=org,
            routine=routine,
            position=i,
            text=text,
            evidence=ev,
            min_value=lo,
            max_value=hi,
            unit=unit,
        )
        for routine, spec in zip(routines, routine_specs, strict=True)
        for i, (text, ev, lo, hi, unit) in enumerate(spec[8], start=1)
    )
    occurrences = []
    missed_left = 2
    for routine in routines:
        routine.calendar = routine.calendar  # already loaded
        dues = due_between(routine, start, today + dt.timedelta(days=30), zone)
        past = [d for d in dues if d <= now]
        for i, due in enumerate(dues):
            occ = Occurrence(
                organisation=org, routine=routine, due=due, created_at=due - dt.timedelta(days=7)
            )
            if due <= now:
                is_last = i == len(past) - 1
                roll = rng.random()
                if is_last and routine.name == "Weekly complaint review":
                    pass  # still open: overdue now
                elif missed_left and roll < 0.04 and not is_last:
                    occ.status = OccurrenceStatus.MISSED
                    missed_left -= 1
                else:
                    occ.status = OccurrenceStatus.DONE
                    occ.completed_by = routine.assignee
                    late = roll > 0.88
                    delta = (
                        dt.timedelta(hours=rng.uniform(2, 30))
                        if late
                        else -dt.timedelta(minutes=rng.uniform(10, 240))
                    )
                    occ.started_at = (
                        due
                        - dt.timedelta(minutes=routine.effort_minutes)
                        + (delta if late else dt.timedelta())
                    )
                    # A late run was done by now (one due an hour ago was not done tomorrow).
                    occ.completed_at = min(due + delta, max(due, now - dt.timedelta(minutes=10)))
                    occ.started_at = min(occ.started_at, occ.completed_at)
            occurrences.append(occ)
    if missed_left:  # make sure the story has its two missed ones
        candidates = [
            o
            for o in occurrences
            if o.status == OccurrenceStatus.DONE and o.due < now - dt.timedelta(days=14)
        ]
        for occ in rng.sample(candidates, missed_left):
            occ.status, occ.completed_at, occ.completed_by, occ.started_at = (
                OccurrenceStatus.MISSED,
                None,
                None,
                None,
            )
    Occurrence.objects.bulk_create(occurrences)
    # Every run done ticked its checklist (a stream of its own: the data drawn above stays).
    steps_of: dict[int, list[RoutineStep]] = defaultdict(list)
    for step in RoutineStep.objects.filter(routine__in=routines).order_by("position", "id"):
        steps_of[step.routine_id].append(step)
    ticks = random.Random(20240602)
    StepEvidence.objects.bulk_create(
        row
        for occ in occurrences
        if occ.status == OccurrenceStatus.DONE
        for row in evidence_rows(occ, steps_of[occ.routine_id], ticks)
    )

    # Queues with met, breached, open and paused requests.
    it = Queue.objects.create(
        organisation=org,
        process=p["Server patching"],
        name="IT service desk",
        calendar=office,
        description="Anything IT: accounts, laptops, the ERP, printers, the shop-floor network.",
        sla_hours=DEFAULT_SLA_HOURS,
    )
    maint = Queue.objects.create(
        organisation=org,
        process=p["Preventive maintenance"],
        name="Maintenance requests",
        calendar=plant,
        description="Broken or worn equipment, leaks, building faults. Safety issues: call the supervisor too.",
        sla_hours={
            "p1": {"response": 0.25, "resolution": 4},
            "p2": {"response": 1, "resolution": 16},
            "p3": {"response": 4, "resolution": 48},
            "p4": {"response": 8, "resolution": 120},
        },
    )
    n_req = _requests(
        rng, org, it, people, now, 70, IT_TITLES, ["Sofia Rossi", "Raj Patel", "Chloe Martin"]
    )
    n_req += _requests(
        rng, org, maint, people, now, 40, MAINT_TITLES, ["Kwame Asante", "Luis Ortega"]
    )
    # Every answered request's response verdict and every resolved one's outcome, fixed as
    # the worker fixes them (a later priority or target change does not rewrite them).
    refresh_sla_outcomes(
        Request.objects.filter(queue__in=[it, maint], first_response_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    return (
        f"{len(processes)} processes, {len(kpis)} KPIs with two years of measurements, "
        f"{len(routines)} routines ({len(occurrences)} occurrences), 2 queues ({n_req} requests)"
    )


# What a run records for a step, by the step's text: readings a person would have taken (inside
# the limits: a reading outside them opens a nonconformance, as the quality demo's two do) and
# the notes people write. Steps not listed read mid-range, or note "Done, nothing to report.".
READINGS: dict[str, Callable[[random.Random], float]] = {
    "Reconcile the main account": lambda r: round(r.choice([0.0, 0.0, 0.0, r.uniform(-35, 35)]), 2),
    "Coolant concentration": lambda r: round(r.uniform(6.8, 8.2), 1),
    "Servers rebooted": lambda r: float(r.randint(31, 34)),
    "Grease used": lambda r: float(r.randint(12, 18)),
    "Spindle temperature after run-in": lambda r: round(r.uniform(31, 38), 1),
    "Torque": lambda r: round(r.uniform(44, 47.5), 1),
    "Read the six Line 2 sub-meters": lambda r: float(r.randint(17800, 19400)),
    "Scrap parts counted": lambda r: float(r.randint(4, 14)),
}
NOTES: dict[str, Sequence[str]] = {
    "Explain open items": (
        "No open items.",
        "Two card payments in transit; cleared on the 2nd.",
        "A supplier refund booked twice; reversed.",
        "Bank charges accrued; statement arrives on the 3rd.",
    ),
    "Attach the bank statement": ("Statement filed in Finance › Bank statements.",),
    "Notes for the change log": (
        "All servers patched; no rollbacks.",
        "ERP server needed a second reboot; the smoke test passed after it.",
        "Historian patched in the Sunday window; shop-floor terminals next month.",
    ),
    "Review open 8D reports": (
        "Three open 8D reports reviewed; containment in place on all.",
        "8D for the scratched flanges closed; two still open.",
        "New complaint (dented housing) logged; D3 containment agreed.",
        "No new complaints this week; two 8Ds wait for supplier answers.",
    ),
    "Wrench used": ("TW-07", "TW-11"),
    "Compare kWh per part with last week": (
        "Level with last week.",
        "Slightly lower: Line 2 ran the long batch.",
        "Up 3 %: compressor ran through Sunday; raised with production.",
    ),
    "Findings": (
        "No findings.",
        "Control plan copy at station 3 out of date; replaced.",
        "One operator skipped the first-off check; coached on the spot.",
        "No findings; 5S good.",
    ),
    "Issues handed to the next shift": (
        "None.",
        "Mill 4 spindle warm-up runs long; maintenance told.",
        "Coolant top-up due on lathe 2.",
        "Short of 40 mm bar stock; planner told.",
    ),
    "Items due a check: before/after looked at": (
        "Predictive greasing: downtime still below its old level.",
        "Before/after charts of the open items looked at; none ready to close.",
        "Nothing due a check this time.",
    ),
    "Backup stored (file name)": ("robot-cell-backup.zip on the engineering share",),
}
DEFAULT_NOTES = ("Done, nothing to report.", "All in order.")


def reading(step: RoutineStep, rng: random.Random) -> float:
    """A believable reading for a number step: its own, else inside its limits."""
    if step.text in READINGS:
        return READINGS[step.text](rng)
    low, high = step.min_value, step.max_value
    if low is not None and high is not None:
        return round(low + (high - low) * rng.uniform(0.3, 0.7), 1)
    if low is not None:
        return round(low * rng.uniform(1.05, 1.3), 1)
    if high is not None:
        return round(high * rng.uniform(0.5, 0.9), 1)
    return round(rng.uniform(1, 10), 1)


def evidence_rows(
    occurrence: Occurrence,
    steps: Iterable[RoutineStep],
    rng: random.Random,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> list[StepEvidence]:
    """The checklist of a done run, every step ticked: readings, passes, notes."""
    rows = []
    for step in steps:
        row = StepEvidence(
            organisation_id=occurrence.organisation_id, occurrence=occurrence, step=step
        )
        if step.evidence == Evidence.NUMBER:
            row.number = reading(step, rng)
        elif step.evidence == Evidence.PASS_FAIL:
            row.passed = True
        elif step.evidence in (Evidence.NOTE, Evidence.FILE):
            # A file step of a past run says where the document was filed (the demo uploads
            # no files; the page shows the note).
            choices = (notes or {}).get(step.text) or NOTES.get(step.text) or DEFAULT_NOTES
            row.note = rng.choice(list(choices))
        rows.append(row)
    return rows


def record_past_runs(
    routine: Routine,
    *,
    since: dt.date,
    rng: random.Random,
    notes: Mapping[str, Sequence[str]] | None = None,
    late: int | None = None,
    missed: int | None = None,
) -> int:
    """Start ``routine`` on ``since`` and give it the runs it would have had since: each done
    with its checklist ticked by its assignee, mostly on time, ``late`` of them late (about one
    in ten), ``missed`` missed (one in twenty or more runs). A run already done (a reading that
    opened a nonconformance) stays. Returns the number of past runs."""
    organisation = routine.organisation
    zone = organisation.timezone
    now = timezone.now()
    start = aware(dt.datetime.combine(since, dt.time(0)), zone)
    Routine.objects.filter(pk=routine.pk).update(starts_on=since, schedule_from=start)
    routine.starts_on, routine.schedule_from = since, start
    dues = [d for d in due_between(routine, since, timezone.localdate(), zone) if d <= now]
    existing = {o.due: o for o in Occurrence.objects.filter(routine=routine, due__in=dues)}
    count = len(dues)
    late_runs = set(rng.sample(range(count), min(count, count // 10 if late is None else late)))
    missed_runs: set[int] = set()
    others = [i for i in range(count - 1) if i not in late_runs]
    if missed is None:
        missed = 1 if count >= 20 else 0
    if others and missed:
        missed_runs.update(rng.sample(others, min(missed, len(others))))
    effort = dt.timedelta(minutes=routine.effort_minutes)
    new: list[Occurrence] = []
    changed: list[Occurrence] = []
    for i, due in enumerate(dues):
        occ = existing.get(due)
        if occ is not None and occ.status != OccurrenceStatus.OPEN:
            continue
        if occ is None:
            occ = Occurrence(
                organisation_id=routine.organisation_id,
                routine=routine,
                due=due,
                created_at=due - dt.timedelta(days=7),
            )
            new.append(occ)
        else:
            changed.append(occ)
        if i in missed_runs:
            occ.status = OccurrenceStatus.MISSED
            continue
        done_at = due - dt.timedelta(minutes=rng.uniform(5, 90))
        if i in late_runs and due + dt.timedelta(hours=3) < now:
            done_at = min(due + dt.timedelta(hours=rng.uniform(2, 26)), now - dt.timedelta(hours=1))
        occ.status = OccurrenceStatus.DONE
        occ.completed_at, occ.completed_by = done_at, routine.assignee
        occ.started_at = done_at - effort
    Occurrence.objects.bulk_create(new)
    Occurrence.objects.bulk_update(
        changed, ["status", "completed_at", "completed_by", "started_at"]
    )
    steps = list(RoutineStep.objects.filter(routine=routine, retired=False).order_by("position"))
    StepEvidence.objects.bulk_create(
        row
        for occ in [*new, *changed]
        if occ.status == OccurrenceStatus.DONE
        for row in evidence_rows(occ, steps, rng, notes)
    )
    return count


IT_TITLES = [
    "Laptop will not connect to VPN",
    "ERP invoice print fails",
    "New starter account: Quality",
    "Printer on Line 1 offline",
    "Password reset for shop-floor terminal",
    "Excel add-in crashes",
    "Request a second monitor",
    "Shared drive permission for Finance",
    "CAD licence expired",
    "Wi-Fi drops in the warehouse",
    "Phone handset broken",
    "Email to customer bounced",
]
MAINT_TITLES = [
    "Coolant leak under Line 2 lathe",
    "Conveyor belt slipping",
    "Compressor noisy",
    "Forklift charger fault",
    "Air line pressure low at cell 3",
    "Door seal on paint booth",
    "Spindle vibration on mill 4",
    "Lighting out in goods-in",
    "Chip conveyor jammed",
]


def _requests(
    rng: random.Random,
    org: Organisation,
    queue: Queue,
    people: dict[str, User],
    now: dt.datetime,
    count: int,
    titles: list[str],
    agents: list[str],
) -> int:
    zone = org.timezone
    cal = engine_calendar(queue.calendar)
    requesters = [u for name, u in people.items() if name not in agents and name != "Peter Doyle"]
    rows: list[tuple[Request, list[tuple[dt.datetime, str, str]]]] = []
    for i in range(count):
        open_now = i >= count - 9
        age_days = rng.uniform(0.1, 3.5) if open_now else rng.uniform(4, 170)
        created_local = add_working_minutes(cal, local(now - dt.timedelta(days=age_days), zone), 0)
        created_local = created_local.replace(second=0, microsecond=0)
        created = aware(created_local, zone)
        if created > now:
            created = now - dt.timedelta(hours=1)
            created_local = local(created, zone)
        priority = rng.choices(Priority.values, weights=[1, 3, 8, 3])[0]
        targets = queue.sla_hours[priority]
        resolution_target = targets["resolution"] * 60
        response_at = aware(
            add_working_minutes(
                cal, created_local, targets["response"] * 60 * rng.uniform(0.2, 1.15)
            ),
            zone,
        )
        request = Request(
            organisation=org,
            queue=queue,
            title=f"{titles[i % len(titles)]}",
            priority=priority,
            requester=rng.choice(requesters),
            assignee=people.get(rng.choice(agents)),
            created_at=created,
            description="Reported through the intake form.",
        )
        events: list[tuple[dt.datetime, str, str]] = [(created, "", Status.NEW)]
        if response_at < now:
            request.first_response_at = response_at
            events.append((response_at, Status.NEW, Status.IN_PROGRESS))
            request.status = Status.IN_PROGRESS
            waited = rng.random() < 0.25
            used = response_at - created
            if waited:
                wait_start = aware(add_working_minutes(cal, local(response_at, zone), 30), zone)
                wait_end = wait_start + dt.timedelta(hours=rng.uniform(4, 40))
                if wait_start < now:
                    events.append((wait_start, Status.IN_PROGRESS, Status.WAITING))
                    request.status = Status.WAITING
                    if wait_end < now:
                        events.append((wait_end, Status.WAITING, Status.IN_PROGRESS))
                        request.status = Status.IN_PROGRESS
            del used
            factor = rng.uniform(0.3, 1.0) if rng.random() < 0.82 else rng.uniform(1.1, 1.8)
            resolve_local = add_working_minutes(cal, created_local, resolution_target * factor)
            resolve = aware(resolve_local, zone)
            last = events[-1][0]
            if not open_now and request.status == Status.IN_PROGRESS:
                resolve = max(resolve, last + dt.timedelta(minutes=20))
                if resolve < now:
                    request.resolved_at = resolve
                    events.append((resolve, Status.IN_PROGRESS, Status.RESOLVED))
                    request.status = Status.RESOLVED
        rows.append((request, events))
    created_requests = Request.objects.bulk_create([r for r, _ in rows])
    RequestEvent.objects.bulk_create(
        RequestEvent(
            organisation=org,
            request=req,
            at=at,
            from_status=a,
            to_status=b,
            actor=req.assignee if a else req.requester,
        )
        for req, (_r, events) in zip(created_requests, rows, strict=True)
        for at, a, b in events
    )
    return len(created_requests)


__all__: list[Any] = ["load"]
