"""This context's part of the demo story (called by twofold/demo/loader.py after templates).

The "Energy monitoring pilot" (in closure) hands its results to Preventive maintenance: the
project team drafts a weekly energy review routine, the KPI "Line 2 energy per part" and a
queue for meter faults with four weeks of hypercare; Luis Ortega, who owns the process,
accepts, and operations gets them, each linked back to the project. Twelve weeks of pilot
readings give the KPI its values before go-live (the improvement story adds data after it).
The pilot records two lessons; one becomes an improvement item for Preventive maintenance.
"New CNC machine commissioning" (in execution) has drafted its handover to Line 2 production:
it awaits acceptance.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.calendars.models import Calendar
from twofold.closeout import services
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover, HandoverStatus
from twofold.operations import services as ops
from twofold.operations.models import Kpi, Process, Queue
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.models import Project

ENERGY_KPI = "Line 2 energy per part"
"""The KPI the accepted handover creates (another part of the demo adds data after go-live)."""
ENERGY_ROUTINE = "Weekly energy review"
PILOT_READINGS = [2.21, 2.16, 2.24, 2.12, 2.19, 2.23, 2.14, 2.18, 2.2, 2.11, 2.17, 2.15]


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
    monday = today - dt.timedelta(days=today.weekday())
    services.add_part(
        actor=team,
        handover=handover,
        kind="routine",
        name=ENERGY_ROUTINE,
        spec={
            "description": "Read the Line 2 sub-meters and review energy per part with production.",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "starts_on": (monday + dt.timedelta(days=7)).isoformat(),
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
        services.set_hypercare(
            actor=team, handover=handover, starts_on=today, ends_on=today + dt.timedelta(days=27)
        )
    improvement.update_deliverables(
        actor=team,
        handover=handover,
        deliverables=[{**d, "done": True} for d in handover.deliverables],
        expected_version=None,
    )
    handover.refresh_from_db()
    improvement.accept_handover(
        actor=luis,
        handover=handover,
        expected_version=handover.version,
        note="Maintenance runs the weekly review from next Monday.",
    )
    _hypercare_requests(org, luis, people)
    kpi = Kpi.objects.get(organisation=org, name=ENERGY_KPI)
    ops.add_measurements(
        actor=luis,
        kpi=kpi,
        rows=[
            (n, today - dt.timedelta(weeks=len(PILOT_READINGS) - n), value, "Pilot reading")
            for n, value in enumerate(PILOT_READINGS)
        ],
    )
    return handover


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
        request = ops.create_request(
            actor=raiser, queue=queue, title=title, priority=priority, at=raised
        )
        if status == "new":
            continue
        request = ops.change_request_status(
            actor=luis,
            request=request,
            status="in_progress",
            expected_version=None,
            at=raised + dt.timedelta(minutes=40),
        )
        if status == "resolved":
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
    services.record_lesson(
        actor=team,
        project=project,
        title="Order metering hardware at the planning gate",
        worked="Installing during the planned Line 2 stop cost no production time.",
        did_not_work="Sub-meters had a twelve-week lead time; installation slipped two weeks.",
        recommendation="Order long-lead instruments before the planning gate is signed off.",
        template=template,
    )
    services.lesson_to_improvement(
        actor=team,
        lesson=calibrate,
        expected_version=calibrate.version,
        process=maintenance,
        owner=people.get("Luis Ortega"),
    )
    return 2


def _propose_cnc(org: Organisation, people: dict[str, User]) -> bool:
    project = Project.objects.filter(organisation=org, code="OPX-05").first()
    line2 = Process.objects.filter(organisation=org, name="Line 2 production").first()
    if project is None or line2 is None or project.manager is None:
        return False
    manager = project.manager
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
    return True


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
