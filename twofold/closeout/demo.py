"""This context's part of the demo story (called by twofold/demo/loader.py after templates).

The "Energy monitoring pilot" (in closure) hands its results to Preventive maintenance: the
project team drafts a weekly energy review routine, the KPI "Line 2 energy per part" and a
queue for meter faults with four weeks of hypercare; Luis Ortega, who owns the process,
accepts, and operations gets them, each linked back to the project. Twelve weekly readings
give the KPI its values: the pilot's, then the weekly review's since the handover.
The pilot records two lessons; one becomes an improvement item for Preventive maintenance.
"New CNC machine commissioning" (in execution) has drafted its handover to Line 2 production:
it awaits acceptance.

It happened after the pilot's savings case, not on the day the demo was loaded: the team drafted
the parts the next working day, Luis accepted two days later, the four weeks of hypercare began
then (they run to next week), and the weekly energy review has run every Monday since.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.calendars.models import Calendar
from twofold.closeout import services
from twofold.demo.backdate import at_local, earlier_today, happened, past, stamp, workday, zone_of
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover, HandoverStatus, ImprovementItem
from twofold.operations import services as ops
from twofold.operations.demo import record_past_runs
from twofold.operations.models import Kpi, Process, Queue, Routine
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.models import Project, Task

ENERGY_KPI = "Line 2 energy per part"
"""The KPI the accepted handover creates (another part of the demo adds data after go-live)."""
ENERGY_ROUTINE = "Weekly energy review"
PILOT_READINGS = [2.21, 2.16, 2.24, 2.12, 2.19, 2.23, 2.14, 2.18, 2.2, 2.11, 2.17, 2.15]


def _after(organisation: Organisation, moment: dt.datetime, days: int, hour: int) -> dt.datetime:
    """``days`` working days after ``moment``, at ``hour``."""
    day = moment.astimezone(zone_of(organisation)).date()
    for _ in range(days):
        day = workday(day + dt.timedelta(days=1), back=False)
    return at_local(organisation, day, hour)


def _accept_pilot(org: Organisation, people: dict[str, User], today: dt.date) -> Handover | None:
    handover = (
        Handover.objects.filter(
            organisation=org,
            project__name="Energy monitoring pilot",
            process__name="Preventive maintenance",
            status=HandoverStatus.PROPOSED,
        )
        .select_related("project", "process")
        .first()
    )
    luis = people.get("Luis Ortega")
    if handover is None or luis is None or handover.project.manager is None:
        return None
    team = handover.project.manager  # Priya Raman proposed it and drafts it
    plant = Calendar.objects.filter(organisation=org, name="Plant, two shifts").first()
    kwame = people.get("Kwame Asante")
    # Drafted the working day after the proposal, accepted two working days later (the
    # hypercare runs four weeks from then: into next week); the review runs from the Monday
    # after.
    drafted = _after(org, handover.proposed_at, 1, 10)
    accepted = _after(org, handover.proposed_at, 3, 11)
    accepted_day = accepted.date()
    first_review = accepted_day + dt.timedelta(days=7 - accepted_day.weekday())
    with happened(org, drafted):
        _draft_pilot(org, handover, team, plant, kwame, first_review, accepted_day, today)
    with happened(org, drafted + dt.timedelta(days=1, hours=5)):
        improvement.update_deliverables(
            actor=team,
            handover=handover,
            deliverables=[{**d, "done": True} for d in handover.deliverables],
            expected_version=None,
        )
    handover.refresh_from_db()
    with happened(org, accepted):
        improvement.accept_handover(
            actor=luis,
            handover=handover,
            expected_version=handover.version,
            note="Maintenance runs the weekly review from next Monday.",
        )
    stamp(handover, accepted, "decided_at")
    routine = Routine.objects.filter(organisation=org, name=ENERGY_ROUTINE).first()
    if routine is not None:
        record_past_runs(routine, since=first_review, rng=random.Random(1313))
    _hypercare_requests(org, luis, people)
    _readings(org, luis, accepted, first_review, today)
    return handover


def _readings(
    org: Organisation, luis: User, accepted: dt.datetime, first_review: dt.date, today: dt.date
) -> None:
    """Twelve weekly values on Mondays up to the last one: the pilot's, added when the KPI was
    handed over, then each week's from the energy review, added on its day."""
    kpi = Kpi.objects.get(organisation=org, name=ENERGY_KPI)
    last = today - dt.timedelta(days=today.weekday() or 7)
    days = [
        last - dt.timedelta(weeks=len(PILOT_READINGS) - 1 - n) for n in range(len(PILOT_READINGS))
    ]
    pilot = [
        (n, day, value, "Pilot reading")
        for n, (day, value) in enumerate(zip(days, PILOT_READINGS, strict=True))
        if day < first_review
    ]
    with happened(org, accepted + dt.timedelta(hours=1)):
        ops.add_measurements(actor=luis, kpi=kpi, rows=pilot)
    for n, (day, value) in enumerate(zip(days, PILOT_READINGS, strict=True)):
        if day >= first_review:
            with happened(org, past(at_local(org, day, 10, 50))):
                ops.add_measurements(
                    actor=luis, kpi=kpi, rows=[(n, day, value, "Weekly energy review")]
                )


def _draft_pilot(
    org: Organisation,
    handover: Handover,
    team: User,
    plant: Calendar | None,
    kwame: User | None,
    first_review: dt.date,
    accepted_day: dt.date,
    today: dt.date,
) -> None:
    services.add_part(
        actor=team,
        handover=handover,
        kind="routine",
        name=ENERGY_ROUTINE,
        spec={
            "description": "Read the Line 2 sub-meters and review energy per part with production.",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "starts_on": first_review.isoformat(),
            "due_time": "10:00",
            "effort_minutes": 45,
            "assignee_id": kwame.pk if kwame else None,
            "calendar_id": plant.pk if plant else None,
            "steps": [
                {"text": "Read the six Line 2 sub-meters", "evidence": "number", "unit": "kWh"},
                {"text": "Compare kWh per part with last week", "evidence": "note"},
                {"text": "Raise a request for any meter reading zero", "evidence": "none"},
            ],
        },
    )
    services.add_part(
        actor=team,
        handover=handover,
        kind="kpi",
        name=ENERGY_KPI,
        spec={
            "description": "Electrical energy per good pump housing on Line 2, weekly.",
            "unit": "kWh",
            "good_direction": "down",
            "target": 1.8,
            "amber_threshold": 2.0,
            "red_threshold": 2.3,
            "frequency": "weekly",
        },
    )
    if plant is not None:
        services.add_part(
            actor=team,
            handover=handover,
            kind="queue",
            name="Energy meter faults",
            spec={
                "description": "A sub-meter reads zero, drifts or lost its historian connection.",
                "calendar_id": plant.pk,
                "sla_hours": {
                    "p1": {"response": 1, "resolution": 8},
                    "p2": {"response": 4, "resolution": 16},
                    "p3": {"response": 8, "resolution": 40},
                    "p4": {"response": 16, "resolution": 80},
                },
            },
        )
        # Four weeks from the acceptance (at least to next week: it is under way now).
        ends = max(accepted_day + dt.timedelta(days=27), today + dt.timedelta(days=7))
        services.set_hypercare(actor=team, handover=handover, starts_on=accepted_day, ends_on=ends)


def _hypercare_requests(org: Organisation, luis: User, people: dict[str, User]) -> None:
    """The queue in hypercare has its first faults: one resolved within its targets, one being
    worked on, one new (it was empty, so its page and its SLA figures showed nothing)."""
    queue = Queue.objects.filter(organisation=org, name="Energy meter faults").first()
    if queue is None:
        return
    now = timezone.now()
    raiser = people.get("Jonas Berg", luis)
    for title, priority, hours_ago, status in (
        ("Meter gateway offline after the Sunday shutdown", "p2", 50, "resolved"),
        ("Compressor meter reports spikes of 400 kW", "p3", 26, "in_progress"),
        ("Line 2 meter M-07 reads zero for an hour each night", "p3", 3, "new"),
    ):
        raised = now - dt.timedelta(hours=hours_ago)
        with happened(org, raised):
            request = ops.create_request(
                actor=raiser, queue=queue, title=title, priority=priority, at=raised
            )
        if status == "new":
            continue
        with happened(org, raised + dt.timedelta(minutes=40)):
            request = ops.change_request_status(
                actor=luis,
                request=request,
                status="in_progress",
                expected_version=None,
                at=raised + dt.timedelta(minutes=40),
            )
        if status == "resolved":
            with happened(org, raised + dt.timedelta(hours=5)):
                ops.change_request_status(
                    actor=luis,
                    request=request,
                    status="resolved",
                    expected_version=None,
                    note="Gateway restarted; it now comes back by itself after a power cut.",
                    at=raised + dt.timedelta(hours=5),
                )


def _lessons(org: Organisation, people: dict[str, User], handover: Handover) -> int:
    project = handover.project
    team = project.manager
    assert team is not None
    maintenance = Process.objects.filter(organisation=org, name="Preventive maintenance").first()
    template = ProjectTemplate.objects.filter(
        organisation=org, name="Equipment installation"
    ).first()
    # Recorded at the lessons-learned session (the pilot's "Lessons learned" task).
    session = Task.objects.filter(project=project, name="Lessons learned").first()
    held = (
        session.finish - dt.timedelta(hours=1)
        if session is not None and session.finish is not None
        else earlier_today(org) - dt.timedelta(days=21)
    )
    with happened(org, held):
        calibrate = services.record_lesson(
            actor=team,
            project=project,
            title="Calibrate sub-meters on site after installation",
            worked="Factory calibration certificates made the purchase and the audit easy.",
            did_not_work=(
                "Two of the six meters read 4 % high after transport; we found it only when the "
                "kWh per part did not add up with the main meter."
            ),
            recommendation=(
                "Check every sub-meter against the main meter on site, then once a quarter as part "
                "of maintenance."
            ),
            process=maintenance,
        )
    with happened(org, held + dt.timedelta(minutes=10)):
        other = services.record_lesson(
            actor=team,
            project=project,
            title="Order metering hardware at the planning gate",
            worked="Installing during the planned Line 2 stop cost no production time.",
            did_not_work="Sub-meters had a twelve-week lead time; installation slipped two weeks.",
            recommendation="Order long-lead instruments before the planning gate is signed off.",
            template=template,
        )
    stamp(calibrate, held)
    stamp(other, held + dt.timedelta(minutes=10))
    # Priya raised the calibration lesson as an improvement item for maintenance yesterday.
    raised = earlier_today(org, 11) - dt.timedelta(days=1)
    with happened(org, raised):
        item = services.lesson_to_improvement(
            actor=team,
            lesson=calibrate,
            expected_version=calibrate.version,
            process=maintenance,
            owner=people.get("Luis Ortega"),
        )
    ImprovementItem.objects.filter(pk=item.pk).update(created_at=past(raised))
    return 2


def _propose_cnc(org: Organisation, people: dict[str, User]) -> bool:
    project = Project.objects.filter(organisation=org, code="OPX-05").first()
    line2 = Process.objects.filter(organisation=org, name="Line 2 production").first()
    if project is None or line2 is None or project.manager is None:
        return False
    manager = project.manager
    # Drafted when the fixture was built, before the first-article inspection (whose signed
    # report is what it waits for).
    fixture = Task.objects.filter(project=project, name="Fixture build").first()
    drafted = (
        fixture.finish + dt.timedelta(minutes=20)
        if fixture is not None and fixture.finish is not None
        else earlier_today(org) - dt.timedelta(days=3)
    )
    with happened(org, drafted) as moment:
        _draft_cnc(manager, project, line2, moment)
    return True


def _draft_cnc(manager: User, project: Project, line2: Process, drafted: dt.datetime) -> None:
    handover = improvement.propose_handover(
        actor=manager,
        project=project,
        process=line2,
        deliverables=[
            {"text": "Operators trained on the 5-axis centre", "done": True},
            {"text": "Machine documentation in the maintenance system", "done": True},
            {"text": "First-article inspection report signed", "done": False},
        ],
        note="The 5-axis centre joins Line 2 once the first-article report is signed.",
    )
    services.add_part(
        actor=manager,
        handover=handover,
        kind="routine",
        name="5-axis spindle warm-up",
        spec={
            "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "starts_on": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
            "due_time": "06:15",
            "effort_minutes": 15,
            "steps": [
                {"text": "Run the warm-up program", "evidence": "none"},
                {"text": "Spindle temperature after warm-up", "evidence": "number", "unit": "°C"},
            ],
        },
    )
    services.add_part(
        actor=manager,
        handover=handover,
        kind="kpi",
        name="5-axis spindle utilisation",
        spec={
            "unit": "%",
            "good_direction": "up",
            "target": 65,
            "amber_threshold": 55,
            "red_threshold": 45,
            "frequency": "weekly",
        },
    )
    stamp(handover, drafted, "proposed_at")


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users."""
    today = timezone.localdate()
    handover = _accept_pilot(organisation, people, today)
    if handover is None:
        return ""
    lessons = _lessons(organisation, people, handover)
    pending = _propose_cnc(organisation, people)
    return (
        f"1 handover accepted (a routine, the KPI {ENERGY_KPI} and a queue in hypercare), "
        f"{int(pending)} drafted handover awaiting acceptance, {lessons} lessons learned"
    )
