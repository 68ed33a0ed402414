"""Halvorsen Precision's risk registers: 4-8 risks per project, one simulation per project in
execution. The Line 3 automation cell (slipping) carries two open high risks: PLC integration,
and its supplier, whose gripper delay has happened and who still owes what the dry runs need.

Each risk is raised at the project's risk workshop (a few days after its charter) or, for one
found on the way, when its task turned it up; one closed in the register was closed on its due
date. A risk stays open only on work still to do: when the last task it threatens is finished,
it is closed then with what happened (``OUTCOMES``), or moved to the open work it still
threatens (``RETARGET``); one that threatens finished and unfinished work keeps only the
unfinished (risks stayed open on tasks long done).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import (
    at_local,
    earlier_today,
    happened,
    past,
    stamp,
    workday,
    zone_of,
)
from twofold.projects.models import Project, Task, TaskStatus
from twofold.risks import services
from twofold.risks.models import ACTIVE_STATUSES, Risk, RiskAnalysis, RiskStatus

# (title, category, owner, probability, impact, status, response, description, mitigation,
#  due in days, linked task names, schedule impact (min, likely, max) working days or None)
RISKS: dict[str, list[tuple[Any, ...]]] = {
    "OPX-03": [
        (
            "Robot cell supplier delivers late",
            "supplier",
            "Aisha Mensah",
            4,
            4,
            "open",
            "mitigate",
            "The integrator reports a two-week delay on the gripper; the cell build may slip again "
            "if the servo grippers from the sub-supplier arrive after week 3.",
            "Weekly call with the integrator; expedite fee agreed for the grippers; partial FAT "
            "on the robot without gripper to keep the date.",
            7,
            ["Supplier build", "Robot cell factory acceptance test"],
            (3, 8, 15),
        ),
        (
            "PLC integration with the Line 3 MES interface",
            "technical",
            "Tomasz Nowak",
            4,
            4,
            "open",
            "mitigate",
            "The cell PLC talks OPC UA; the MES adapter on Line 3 is five years old and has only "
            "been tested with Modbus. Handshake signals may need rework on site.",
            "Bench test of the OPC UA handshake with a PLC simulator before installation; MES "
            "vendor on call during integration week.",
            14,
            ["PLC integration"],
            (2, 5, 10),
        ),
        (
            "Safety guarding needs redesign after risk assessment",
            "safety",
            "Priya Raman",
            2,
            5,
            "mitigating",
            "mitigate",
            "The ISO 12100 assessment flagged the operator loading window; if the light curtain "
            "distance is not enough the guarding must change.",
            "Light curtain distance calculated to ISO 13855; safety PLC change prepared as a "
            "fall-back.",
            10,
            ["Safety guarding installation"],
            (1, 3, 6),
        ),
        (
            "Operators not released for training",
            "people",
            "Jonas Berg",
            3,
            3,
            "open",
            "mitigate",
            "Production is running overtime on Line 2; supervisors may not release operators for "
            "the three training days.",
            "Training split across shifts; cover agreed with the Line 2 supervisor.",
            21,
            ["Operator training"],
            (1, 2, 4),
        ),
        (
            "Cycle time target not reached at capability study",
            "quality",
            "Hana Sato",
            2,
            4,
            "open",
            "accept",
            "The simulation showed 3.1 minutes with little margin; real gripper changes may add "
            "seconds per part.",
            "Accept; if missed, a second gripper set is costed as an option.",
            30,
            [],
            None,
        ),
        (
            "Foundation drawings missing for the conveyor",
            "technical",
            "Luis Ortega",
            3,
            2,
            "closed",
            "avoid",
            "The conveyor supplier had not sent the anchor loads.",
            "Drawings received and approved by the civil contractor.",
            -20,
            ["Foundations and services"],
            None,
        ),
    ],
    "OPX-05": [
        (
            "Floor flatness out of tolerance for the 5-axis machine",
            "technical",
            "Luis Ortega",
            3,
            4,
            "mitigating",
            "mitigate",
            "Geometry check showed 0.08 mm twist; shimming may not be enough.",
            "Machine builder's engineer booked for re-levelling; grout option quoted.",
            5,
            ["Machine levelling and geometry check"],
            (1, 2, 5),
        ),
        (
            "CAM post-processor errors on 5-axis moves",
            "technical",
            "Grace Liu",
            3,
            3,
            "open",
            "mitigate",
            "The vendor post-processor has not been proven on simultaneous 5-axis toolpaths.",
            "Dry-run all bracket programs in simulation; vendor support ticket open.",
            12,
            ["CAM post-processor validation"],
            (1, 3, 6),
        ),
        (
            "First-article inspection rejected by the aerospace customer",
            "quality",
            "Ben Carter",
            2,
            4,
            "open",
            "mitigate",
            "The customer requires a full AS9102 report; a missing characteristic means a rerun.",
            "Ballooned drawing reviewed with the customer's quality engineer in advance.",
            18,
            ["First-article inspection"],
            (1, 2, 4),
        ),
        (
            "Spindle warranty conditions not met",
            "financial",
            "Marcus Obi",
            1,
            3,
            "closed",
            "transfer",
            "Warranty needed the supplier's commissioning sign-off.",
            "Sign-off obtained at machine acceptance.",
            -10,
            [],
            None,
        ),
    ],
    "QMS-26": [
        (
            "Auditor availability for the stage 2 audit",
            "compliance",
            "Rita Costa",
            3,
            4,
            "open",
            "mitigate",
            "The certification body has one lead auditor for our scope; if he is unavailable the "
            "audit moves by four to six weeks, past the certificate expiry.",
            "Dates confirmed in writing; alternate auditor requested as a back-up.",
            10,
            ["Stage 2 certification audit"],
            (2, 5, 15),
        ),
        (
            "Corrective actions not closed before the audit",
            "quality",
            "Hana Sato",
            3,
            3,
            "mitigating",
            "mitigate",
            "Twelve findings from internal audits; three need supplier actions.",
            "Weekly CAPA review; supplier actions escalated through purchasing.",
            14,
            ["Implement corrective actions"],
            (1, 3, 6),
        ),
        (
            "Document control migration incomplete",
            "compliance",
            "Rita Costa",
            2,
            3,
            "open",
            "mitigate",
            "Work instructions still partly on the old share drive.",
            "Freeze the old share read-only; migrate the remaining 40 documents.",
            20,
            ["Documentation freeze"],
            None,
        ),
        (
            "Management review minutes missing inputs",
            "compliance",
            "Ingrid Halvorsen",
            1,
            2,
            "closed",
            "avoid",
            "Customer satisfaction data was not in the agenda.",
            "Agenda template updated to ISO 9001 clause 9.3.2.",
            -5,
            [],
            None,
        ),
    ],
    "DIG-02": [
        (
            "ERP data migration quality",
            "technical",
            "Raj Patel",
            4,
            4,
            "open",
            "mitigate",
            "Item master has 18 % duplicates and missing units of measure; bad data would stop "
            "MRP at go-live.",
            "Data cleansing sprint with owners per data domain; three trial migrations with "
            "sign-off.",
            25,
            ["Data migration scripts"],
            (3, 6, 12),
        ),
        (
            "MES interface rework",
            "technical",
            "Sofia Rossi",
            3,
            3,
            "open",
            "mitigate",
            "The upgraded ERP changes the production order API used by the MES.",
            "Interface contract agreed early; test harness built with the MES vendor.",
            30,
            ["Interfaces to MES"],
            (2, 4, 8),
        ),
        (
            "Key users unavailable for UAT",
            "people",
            "Aisha Mensah",
            3,
            2,
            "open",
            "accept",
            "UAT overlaps the quarter-end close in finance.",
            "Accept; finance tests scheduled after the close.",
            40,
            ["User acceptance test"],
            None,
        ),
        (
            "Licence cost increase at renewal",
            "financial",
            "Henrik Lund",
            2,
            2,
            "open",
            "transfer",
            "The vendor announced new pricing for the upgraded edition.",
            "Negotiated through the group procurement framework.",
            60,
            [],
            None,
        ),
    ],
    "OPX-08": [
        (
            "Racking contractor availability",
            "supplier",
            "Luis Ortega",
            3,
            3,
            "open",
            "mitigate",
            "Only two certified racking installers in the region.",
            "Book a slot as soon as the layout is chosen.",
            20,
            ["Racking changes"],
            (2, 4, 8),
        ),
        (
            "Pick data incomplete for ABC analysis",
            "quality",
            "Aisha Mensah",
            2,
            2,
            "open",
            "mitigate",
            "WMS history covers only nine months after the 2024 migration.",
            "Use ERP shipment lines for the missing months.",
            7,
            ["ABC analysis of pick data"],
            None,
        ),
        (
            "Forklift traffic during the changeover",
            "safety",
            "Fatima Zahra",
            2,
            4,
            "open",
            "avoid",
            "Relabelling while picking continues mixes pedestrians and trucks.",
            "Changeover at weekends only, with the area closed.",
            25,
            [],
            None,
        ),
        (
            "Warehouse team resistance to new locations",
            "people",
            "Fatima Zahra",
            2,
            2,
            "open",
            "mitigate",
            "Pickers know the current layout by heart.",
            "Involve two pickers in the options paper.",
            15,
            [],
            None,
        ),
    ],
    "DIG-01": [
        (
            "Historian licence limits the number of tags",
            "technical",
            "Raj Patel",
            2,
            2,
            "closed",
            "accept",
            "The pilot needs 120 tags; the licence covers 100.",
            "Reduced to 95 tags by aggregating sub-meters.",
            -30,
            ["Connect to historian"],
            None,
        ),
        (
            "Savings case not accepted by finance",
            "financial",
            "Priya Raman",
            2,
            3,
            "open",
            "mitigate",
            "Six weeks of data may not convince finance of the annual savings.",
            "Normalise by production volume and degree-days; finance controller reviews the "
            "method first.",
            5,
            ["Savings case"],
            None,
        ),
        (
            "Sub-meter accuracy drift",
            "quality",
            "Jonas Berg",
            1,
            2,
            "closed",
            "accept",
            "Clamp-on meters drift with temperature.",
            "Cross-checked against the main utility meter weekly.",
            -15,
            [],
            None,
        ),
        (
            "Lessons learned not captured",
            "people",
            "Priya Raman",
            2,
            1,
            "open",
            "mitigate",
            "The team moves to other projects straight after closure.",
            "Lessons-learned session booked before the closure gate.",
            3,
            ["Lessons learned"],
            None,
        ),
    ],
}


# Risks found on the way, not at the workshop: raised on this many working days after the
# start of the task that turned them up.
RAISED_WITH: dict[str, tuple[str, int]] = {
    "Robot cell supplier delivers late": ("Supplier build", 10),
    "Floor flatness out of tolerance for the 5-axis machine": (
        "Machine levelling and geometry check",
        1,
    ),
    "Corrective actions not closed before the audit": ("Root cause analyses", 2),
    "Document control migration incomplete": ("Engineering audit", 1),
    "Historian licence limits the number of tags": ("Connect to historian", 1),
    "Sub-meter accuracy drift": ("Install sub-meters", 3),
    "Savings case not accepted by finance": ("Data collection (6 weeks)", 20),
    "Pick data incomplete for ABC analysis": ("ABC analysis of pick data", 0),
}

# A risk that still threatens open work when the tasks it named are finished: (the open tasks it
# moves to, what happened and why it stays open).
RETARGET: dict[str, tuple[list[str], str]] = {
    "Robot cell supplier delivers late": (
        ["Dry runs"],
        "The gripper delay happened: the FAT passed two and a half weeks late and the plan "
        "took the slip. The integrator still owes the spare gripper set and its commissioning "
        "engineer for the dry runs; a second slip there would move commissioning.",
    ),
}

# What happened to a risk when the last task it threatens was finished.
OUTCOMES: dict[str, str] = {
    "PLC integration with the Line 3 MES interface": (
        "Handshake proven on site; two signal mappings in the MES adapter changed within the "
        "integration week."
    ),
    "Safety guarding needs redesign after risk assessment": (
        "Guarding installed to the ISO 13855 distances; light curtains verified on site, no "
        "redesign needed."
    ),
    "Operators not released for training": "All operators trained across both shifts.",
    "Floor flatness out of tolerance for the 5-axis machine": (
        "Occurred: re-levelled by the builder's engineer and grouted; the geometry check "
        "passed at 0.01 mm."
    ),
    "CAM post-processor errors on 5-axis moves": (
        "All bracket programs ran clean in simulation and on the first cuts; the vendor "
        "patched the post for the one error found."
    ),
    "First-article inspection rejected by the aerospace customer": (
        "The customer accepted the AS9102 report without remarks."
    ),
    "Auditor availability for the stage 2 audit": (
        "Audit held on the confirmed dates by the lead auditor."
    ),
    "Corrective actions not closed before the audit": (
        "All twelve findings closed before the audit; the three supplier actions closed "
        "through purchasing."
    ),
    "Document control migration incomplete": (
        "The last documents migrated at the freeze; the old share is read-only."
    ),
    "ERP data migration quality": "Trial migrations signed off by every data owner.",
    "MES interface rework": "Interface tested against the MES vendor's harness.",
    "Key users unavailable for UAT": "Finance tested after the quarter-end close; UAT passed.",
    "Racking contractor availability": "Racking installed by the contractor booked in time.",
    "Pick data incomplete for ABC analysis": (
        "ABC analysis done, ERP shipment lines filling the missing months."
    ),
    "Savings case not accepted by finance": (
        "Finance accepted the savings case, normalised by volume and degree-days."
    ),
    "Lessons learned not captured": (
        "Lessons-learned session held before closure; two lessons recorded."
    ),
}


def _workshop(project: Project) -> dt.datetime:
    """The project's risk workshop: a few working days after its charter."""
    day = project.created_at.astimezone(zone_of(project.organisation)).date()
    for _ in range(4):
        day = workday(day + dt.timedelta(days=1), back=False)
    return at_local(project.organisation, day, 14)


def _raised(project: Project, title: str, tasks: dict[str, Task]) -> dt.datetime:
    workshop = _workshop(project)
    anchor = RAISED_WITH.get(title)
    task = tasks.get(anchor[0]) if anchor else None
    if anchor is None or task is None or task.start is None or task.start > timezone.now():
        return workshop
    day = task.start.astimezone(zone_of(project.organisation)).date()
    for _ in range(anchor[1]):
        day = workday(day + dt.timedelta(days=1), back=False)
    return past(max(workshop, at_local(project.organisation, day, 11, 30)))


def _finished_at(task: Task) -> dt.datetime:
    assert task.finish is not None
    return task.finish + dt.timedelta(minutes=30)


def _settle(actor: User, risk: Risk, linked: list[Task], tasks: dict[str, Task]) -> None:
    """Close an active risk whose threatened work is all finished, with what happened, or move
    it to the open work it still threatens; keep only the unfinished work on one that threatens
    both."""
    if risk.status not in ACTIVE_STATUSES or not linked:
        return
    done = [t for t in linked if t.status == TaskStatus.DONE and t.finish is not None]
    if not done:
        return
    when = max(_finished_at(t) for t in done)
    organisation = risk.project.organisation
    names, why = RETARGET.get(risk.title, ([], ""))
    still = [tasks[n] for n in names if n in tasks and tasks[n].status != TaskStatus.DONE]
    if len(done) == len(linked) and still:
        with happened(organisation, when):
            services.update_risk(
                actor=risk.owner or actor,
                risk=risk,
                expected_version=None,
                tasks=still,
                mitigation=f"{risk.mitigation}\n\nUpdate: {why}".strip(),
            )
    elif len(done) == len(linked):
        note = OUTCOMES.get(risk.title, f"Closed: {done[-1].name} finished without it occurring.")
        with happened(organisation, when):
            services.update_risk(
                actor=risk.owner or actor,
                risk=risk,
                expected_version=None,
                status=RiskStatus.CLOSED,
                mitigation=f"{risk.mitigation}\n\nOutcome: {note}".strip(),
            )
    else:
        with happened(organisation, when):
            services.update_risk(
                actor=risk.owner or actor,
                risk=risk,
                expected_version=None,
                tasks=[t for t in linked if t not in done],
            )


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    actor = people.get("Dana Whitfield") or next(iter(people.values()))
    today = timezone.localdate()
    projects = {p.code: p for p in Project.objects.filter(organisation=organisation)}
    count = 0
    for code, rows in RISKS.items():
        project = projects.get(code)
        if project is None:
            continue
        project.organisation = organisation
        tasks = {t.name: t for t in Task.objects.filter(project=project)}
        for (
            title,
            category,
            owner,
            probability,
            impact,
            status,
            response,
            description,
            mitigation,
            due,
            linked,
            delay,
        ) in rows:
            values: dict[str, Any] = {
                "title": title,
                "category": category,
                "owner": people.get(owner),
                "probability": probability,
                "impact": impact,
                "status": status,
                "response": response,
                "description": description,
                "mitigation": mitigation,
                "due_date": today + dt.timedelta(days=due),
            }
            if delay:
                low, likely, high = (Decimal(d) for d in delay)
                values.update(impact_min_days=low, impact_likely_days=likely, impact_max_days=high)
            # Raised open; one the register shows closed was closed on its due date.
            if status == RiskStatus.CLOSED:
                values["status"] = RiskStatus.OPEN
            raised = _raised(project, title, tasks)
            threatened = [tasks[name] for name in linked if name in tasks]
            with happened(organisation, raised) as moment:
                risk = services.create_risk(
                    actor=actor, project=project, tasks=threatened, **values
                )
            stamp(risk, moment)
            if status == RiskStatus.CLOSED:
                closed = at_local(organisation, workday(today + dt.timedelta(days=due)), 15)
                with happened(organisation, max(closed, raised + dt.timedelta(days=1))):
                    services.update_risk(
                        actor=risk.owner or actor,
                        risk=risk,
                        expected_version=None,
                        status=RiskStatus.CLOSED,
                    )
            _settle(actor, risk, threatened, tasks)
            count += 1
    simulated = 0
    ran = earlier_today(organisation, 8, 15)
    for project in projects.values():
        if project.phase == "execution":
            project.organisation = organisation
            with happened(organisation, ran):
                services.run_simulation(actor=actor, project=project, expected_version=None)
            RiskAnalysis.objects.filter(project=project).update(ran_at=ran)
            simulated += 1
    return f"{count} risks ({Risk.objects.filter(organisation=organisation, score__gte=15).exclude(status='closed').count()} open high), {simulated} schedule risk simulations"
