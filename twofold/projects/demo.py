"""Halvorsen Precision's projects: six projects in different phases, each with a real WBS.

The story: "Line 3 automation cell" slips (supplier delay on the robot cell), "New CNC machine
commissioning" is a week late, "ISO 9001 recertification" runs to plan, "ERP upgrade" is being
planned, "Warehouse layout" is just starting and "Energy monitoring pilot" is closing.
Each project is scheduled by the engine, baselined, then progressed to today; daily progress
snapshots of the past weeks feed the sparklines.

Its history has a past: each project was created (its charter written) about three weeks before
its work began, its initiation and planning gates were signed off before the work began, and
its "Approved plan" baseline is stamped when its plan was approved (the planning gate; for the
ERP upgrade, still in planning, its "Upgrade plan approved" milestone; for the warehouse project,
just starting, its kick-off).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.comments.models import Comment
from twofold.demo.backdate import at_local, move_history, past, stamp, workday, zone_of
from twofold.engine.ordering import keys_between
from twofold.projects import board_order, services
from twofold.projects.models import (
    PHASE_ORDER,
    Baseline,
    BaselineTask,
    Gate,
    GateItem,
    Link,
    Phase,
    Priority,
    Programme,
    ProgressSnapshot,
    Project,
    Task,
    TaskStatus,
)
from twofold.projects.progress import planned_percent

DAY = 480
# (phase name, [(task name, days, assignee), ...]); days 0 = milestone. Tasks in a phase run in
# sequence (FS); each phase starts after the previous one; the second task of a phase may run
# in parallel (SS) when marked with "||".
PROJECTS: list[dict[str, Any]] = [
    {
        "name": "Line 3 automation cell",
        "code": "OPX-03",
        "programme": "Operational excellence",
        "manager": "Elena Petrova",
        "sponsor": "Oliver Brandt",
        "phase": Phase.EXECUTION,
        # Thirteen weeks ago, and the slips put the work three weeks behind its baseline: the
        # robot cell is installed and its guarding going in, so the Line 2 crew's trial run and
        # training next week follow the installation they need (``capacity/demo_model.py``)
        # while PLC integration is still to come, and "Mechanical completion" was due last week
        # (an overdue milestone whatever the day the demo is loaded).
        "start": -91,
        "target_extra": 2,
        "slip": {
            "Robot cell factory acceptance test": 12,
            "Robot cell installation": 2,
            "Safety guarding installation": 3,
        },
        "progress": 0.8,
        "objectives": "Automate loading of the Line 3 machining centres with a robot cell.",
        "criteria": "Cycle time per part down from 4.2 to 3.1 minutes\nOEE on Line 3 above 78 % for 4 consecutive weeks\nZero lost-time incidents during installation",
        "scope": "Robot cell, conveyors, safety guarding, PLC integration, operator training.",
        "exclusions": "Lines 1 and 2; changes to the ERP routing.",
        "wbs": [
            (
                "Design",
                [
                    ("Cell layout and simulation", 8, "Tomasz Nowak"),
                    ("|| Risk assessment (ISO 12100)", 4, "Priya Raman"),
                    ("Design review", 0, "Marcus Obi"),
                ],
            ),
            (
                "Procurement",
                [
                    ("Robot and gripper order", 5, "Aisha Mensah"),
                    ("|| Conveyor order", 3, "Aisha Mensah"),
                    ("Supplier build", 20, "Tomasz Nowak"),
                    ("Robot cell factory acceptance test", 3, "Tomasz Nowak"),
                    ("Equipment delivered", 0, "Aisha Mensah"),
                ],
            ),
            (
                "Installation",
                [
                    ("Foundations and services", 4, "Luis Ortega"),
                    ("Robot cell installation", 6, "Kwame Asante"),
                    ("Safety guarding installation", 3, "Kwame Asante"),
                    ("PLC integration", 8, "Tomasz Nowak"),
                    ("Mechanical completion", 0, "Luis Ortega"),
                ],
            ),
            (
                "Commissioning",
                [
                    ("Dry runs", 4, "Tomasz Nowak"),
                    ("Capability study (Cpk)", 5, "Hana Sato"),
                    ("Operator training", 3, "Jonas Berg"),
                    ("Site acceptance test", 2, "Priya Raman"),
                    ("Handover to production", 0, "Oliver Brandt"),
                ],
            ),
        ],
    },
    {
        "name": "New CNC machine commissioning",
        "code": "OPX-05",
        "programme": "Operational excellence",
        "manager": "Samuel Achebe",
        "sponsor": "Marcus Obi",
        "phase": Phase.EXECUTION,
        "start": -40,
        "target_extra": 8,
        "slip": {"Machine levelling and geometry check": 5},
        "progress": 0.9,
        "objectives": "Bring the new 5-axis machining centre into production for the aerospace brackets.",
        "criteria": "First-article inspection passed\nSpindle utilisation above 65 % in month 2",
        "scope": "Installation, geometry check, probing, post-processor, first articles.",
        "exclusions": "Tooling budget for new part families.",
        "wbs": [
            (
                "Preparation",
                [
                    ("Floor reinforcement", 5, "Luis Ortega"),
                    ("|| Power and air supply", 3, "Kwame Asante"),
                    ("Site ready", 0, "Luis Ortega"),
                ],
            ),
            (
                "Installation",
                [
                    ("Machine delivery and rigging", 2, "Luis Ortega"),
                    ("Machine levelling and geometry check", 3, "Kwame Asante"),
                    ("Probing and tool setter calibration", 2, "Grace Liu"),
                    ("Machine accepted", 0, "Marcus Obi"),
                ],
            ),
            (
                "Process",
                [
                    ("CAM post-processor validation", 5, "Grace Liu"),
                    ("Fixture build", 6, "Grace Liu"),
                    ("First-article inspection", 2, "Ben Carter"),
                    ("Capability run", 3, "Hana Sato"),
                    ("Released to production", 0, "Oliver Brandt"),
                ],
            ),
        ],
    },
    {
        "name": "ISO 9001 recertification",
        "code": "QMS-26",
        "programme": "Operational excellence",
        "manager": "Rita Costa",
        "sponsor": "Ingrid Halvorsen",
        "phase": Phase.EXECUTION,
        "start": -35,
        "target_extra": 15,
        "slip": {},
        "progress": 1.0,
        "objectives": "Keep the ISO 9001:2015 certificate without major nonconformities.",
        "criteria": "Zero major nonconformities at the certification audit\nAll internal audit findings closed before the audit",
        "scope": "Internal audits of all processes, management review, corrective actions, external audit.",
        "exclusions": "AS9100 extension (separate project next year).",
        "wbs": [
            (
                "Internal audits",
                [
                    ("Audit programme", 2, "Rita Costa"),
                    ("Production audit", 3, "Ben Carter"),
                    ("|| Purchasing audit", 2, "Hana Sato"),
                    ("Engineering audit", 2, "Hana Sato"),
                    ("Internal audits complete", 0, "Rita Costa"),
                ],
            ),
            (
                "Corrective actions",
                [
                    ("Root cause analyses", 5, "Hana Sato"),
                    ("Implement corrective actions", 8, "Priya Raman"),
                    ("Effectiveness checks", 3, "Rita Costa"),
                ],
            ),
            (
                "Certification",
                [
                    ("Management review", 1, "Ingrid Halvorsen"),
                    ("Documentation freeze", 2, "Rita Costa"),
                    ("Stage 2 certification audit", 3, "Peter Doyle"),
                    ("Certificate issued", 0, "Rita Costa"),
                ],
            ),
        ],
    },
    {
        "name": "ERP upgrade",
        "code": "DIG-02",
        "programme": "Digital plant",
        "manager": "Chloe Martin",
        "sponsor": "Henrik Lund",
        "phase": Phase.PLANNING,
        "start": -12,
        "target_extra": 20,
        "slip": {},
        "plan_approved": "Upgrade plan approved",  # its baseline: when this milestone was met
        "progress": 1.0,
        "objectives": "Upgrade the ERP to the supported release and move MRP to daily runs.",
        "criteria": "Month-end close in 3 working days (from 5)\nMRP run daily without manual fixes",
        "scope": "Finance, purchasing, production planning and inventory modules; data migration.",
        "exclusions": "HR and payroll; the customer portal.",
        "wbs": [
            (
                "Planning",
                [
                    ("Fit-gap workshops", 6, "Chloe Martin"),
                    ("|| Data quality assessment", 5, "Raj Patel"),
                    ("Upgrade plan approved", 0, "Dana Whitfield"),
                ],
            ),
            (
                "Build",
                [
                    ("Test environment", 4, "Raj Patel"),
                    ("Configuration", 15, "Chloe Martin"),
                    ("|| Data migration scripts", 12, "Raj Patel"),
                    ("Interfaces to MES", 10, "Sofia Rossi"),
                ],
            ),
            (
                "Test",
                [
                    ("System integration test", 8, "Mei Chen"),
                    ("User acceptance test", 8, "Aisha Mensah"),
                    ("Go-live readiness", 0, "Chloe Martin"),
                ],
            ),
            (
                "Deploy",
                [
                    ("Cut-over weekend", 2, "Raj Patel"),
                    ("Hypercare", 10, "Sofia Rossi"),
                    ("Upgrade closed", 0, "Chloe Martin"),
                ],
            ),
        ],
    },
    {
        "name": "Warehouse layout",
        "code": "OPX-08",
        "programme": "Operational excellence",
        "manager": "Aisha Mensah",
        "sponsor": "Oliver Brandt",
        "phase": Phase.INITIATION,
        "start": -3,
        "target_extra": 15,
        "slip": {},
        "progress": 1.0,
        "objectives": "Cut picking travel distance by re-slotting the finished-goods warehouse.",
        "criteria": "Average pick route 30 % shorter\nNo missed shipments during the move",
        "scope": "Slotting analysis, racking changes, labels and WMS locations.",
        "exclusions": "Raw-material store.",
        "wbs": [
            (
                "Analysis",
                [
                    ("ABC analysis of pick data", 4, "Aisha Mensah"),
                    ("Current-state walk", 2, "Fatima Zahra"),
                    ("Options paper", 3, "Aisha Mensah"),
                    ("PMO review of the options", 1, "Dana Whitfield"),
                    ("Layout chosen", 0, "Oliver Brandt"),
                ],
            ),
            (
                "Implementation",
                [
                    ("Racking changes", 8, "Luis Ortega"),
                    ("Relabel locations", 3, "Fatima Zahra"),
                    ("WMS location update", 2, "Raj Patel"),
                    ("New layout live", 0, "Aisha Mensah"),
                ],
            ),
        ],
    },
    {
        "name": "Energy monitoring pilot",
        "code": "DIG-01",
        "programme": "Digital plant",
        "manager": "Priya Raman",
        "sponsor": "Dana Whitfield",
        "phase": Phase.CLOSURE,
        "start": -95,
        "target_extra": 10,
        "slip": {},
        "progress": 1.0,
        "objectives": "Measure energy per part on Line 2 to find the biggest savings.",
        "criteria": "kWh per part visible per shift\nSavings case for a plant-wide roll-out",
        "scope": "Sub-meters on Line 2, data collection, dashboard, savings case.",
        "exclusions": "Compressed-air leak programme.",
        "wbs": [
            (
                "Pilot",
                [
                    ("Meter selection", 3, "Priya Raman"),
                    ("Install sub-meters", 4, "Kwame Asante"),
                    ("Connect to historian", 5, "Raj Patel"),
                    ("Dashboard", 6, "Sofia Rossi"),
                    ("Data collection (6 weeks)", 30, "Jonas Berg"),
                ],
            ),
            (
                "Close-out",
                [
                    ("Savings case", 4, "Priya Raman"),
                    ("Lessons learned", 1, "Priya Raman"),
                    ("Pilot closed", 0, "Dana Whitfield"),
                ],
            ),
        ],
    },
]


def _by_name(people: dict[str, User], name: str) -> User | None:
    return people.get(name)


def _build(
    organisation: Organisation,
    spec: dict[str, Any],
    people: dict[str, User],
    actor: User,
    programmes: dict[str, Programme],
) -> Project:
    today = timezone.localdate()
    project = services.create_project(
        actor=actor,
        organisation=organisation,
        name=spec["name"],
        code=spec["code"],
        programme=programmes[spec["programme"]],
        manager=_by_name(people, spec["manager"]),
        sponsor=_by_name(people, spec["sponsor"]),
        objectives=spec["objectives"],
        success_criteria=spec["criteria"],
        scope=spec["scope"],
        exclusions=spec["exclusions"],
        assumptions="Production can release the line for the agreed windows.",
        constraints="Work on running lines only at weekends.",
        target_start=today + dt.timedelta(days=spec["start"]),
        budget_ceiling=Decimal("250000"),
    )
    # WBS: summaries then their children, positions in display order.
    count = sum(1 + len(children) for _, children in spec["wbs"])
    keys = iter(keys_between(None, None, count))
    rows: list[tuple[Task, list[tuple[Task, bool]]]] = []
    for phase_name, children in spec["wbs"]:
        summary = Task(
            organisation=organisation,
            project=project,
            name=phase_name,
            position=(position := next(keys)),
            board_key=board_order.parked_key(position),
            duration_minutes=0,
            is_summary=True,
        )
        kids = []
        for raw, days, who in children:
            parallel = raw.startswith("|| ")
            name = raw.removeprefix("|| ")
            kids.append(
                (
                    Task(
                        organisation=organisation,
                        project=project,
                        name=name,
                        position=(position := next(keys)),
                        board_key=board_order.parked_key(position),
                        duration_minutes=days * DAY,
                        effort_minutes=days * DAY,
                        is_milestone=days == 0,
                        assignee=_by_name(people, who),
                        priority=Priority.HIGH if name in spec["slip"] else Priority.NORMAL,
                        description=f"**{name}** for {spec['name']}.\n\n- Owner: {who}\n- See the charter for acceptance criteria.",
                    ),
                    parallel,
                )
            )
        rows.append((summary, kids))
    Task.objects.bulk_create([s for s, _ in rows])
    for summary, kids in rows:
        for t, _ in kids:
            t.parent = summary
    Task.objects.bulk_create([t for _, kids in rows for t, _ in kids])
    links = []
    previous_last: Task | None = None
    for _summary, kids in rows:
        chain_prev: Task | None = None
        first: Task | None = None
        for t, parallel in kids:
            if parallel and chain_prev is not None:
                links.append(
                    Link(
                        organisation=organisation,
                        project=project,
                        pred=chain_prev,
                        succ=t,
                        type="SS",
                        lag=1,
                        lag_unit="d",
                    )
                )
                continue
            if chain_prev is not None:
                links.append(
                    Link(organisation=organisation, project=project, pred=chain_prev, succ=t)
                )
            elif previous_last is not None:
                links.append(
                    Link(organisation=organisation, project=project, pred=previous_last, succ=t)
                )
            first = first or t
            chain_prev = t
        previous_last = chain_prev
    Link.objects.bulk_create(links)
    services.reschedule_project(project)
    project.refresh_from_db()
    baseline_finish = project.scheduled_finish
    assert baseline_finish is not None
    project.target_finish = (baseline_finish + dt.timedelta(days=spec["target_extra"])).date()
    project.phase = spec["phase"]
    project.status_date = today
    project.save(update_fields=["target_finish", "phase", "status_date"])
    services.save_baseline(actor=actor, project=project, name="Approved plan", number=0)
    _progress(project, spec, today)
    return project


def _progress(project: Project, spec: dict[str, Any], today: dt.date) -> None:
    """Slip what slipped, then mark work done up to today."""
    tasks = list(Task.objects.filter(project=project).order_by("position"))
    slipped = [t for t in tasks if t.name in spec["slip"]]
    for t in slipped:
        t.duration_minutes += spec["slip"][t.name] * DAY
    Task.objects.bulk_update(slipped, ["duration_minutes"])
    services.reschedule_project(project)
    now = timezone.now()
    tasks = list(Task.objects.filter(project=project, is_summary=False))
    key = 0
    for t in tasks:
        if t.start is None or t.finish is None:
            continue
        if t.finish <= now:
            t.status, t.percent_complete = TaskStatus.DONE, 100
            t.actual_start, t.actual_finish = t.start.date(), t.finish.date()
        elif t.start <= now:
            elapsed = (now - t.start) / (t.finish - t.start)
            t.percent_complete = max(5, min(95, int(elapsed * 100 * spec["progress"]) // 5 * 5))
            t.status = TaskStatus.REVIEW if t.percent_complete >= 80 else TaskStatus.DOING
            t.actual_start = t.start.date()
        key += 1
    Task.objects.bulk_update(tasks, ["status", "percent_complete", "actual_start", "actual_finish"])
    # Board order: by start date within each column.
    tasks.sort(key=lambda t: (t.start or now, t.position))
    board_order.assign_in_order(tasks)
    services.reschedule_project(project)
    project.refresh_from_db()
    _snapshots(project, today)


def _snapshots(project: Project, today: dt.date) -> None:
    """Daily percent planned (from the baseline) and complete for the past 8 weeks."""
    baseline = Baseline.objects.get(project=project, number=0)
    rows = [
        (b.start, b.finish, float(b.duration_minutes or 60))
        for b in BaselineTask.objects.filter(baseline=baseline, task__is_summary=False)
    ]
    now_planned = planned_percent(rows, timezone.now()) or 1.0
    ratio = min(1.0, project.percent_complete / now_planned) if now_planned else 1.0
    first = max(project.target_start, today - dt.timedelta(days=56))
    snaps: list[ProgressSnapshot] = []
    day = first
    tzinfo = services.tz_of(project.organisation)
    while day < today:
        at = dt.datetime.combine(day, dt.time(17), tzinfo)
        planned = planned_percent(rows, at)
        # Early on the project kept pace; the gap opened gradually.
        share = (day - first).days / max(1, (today - first).days)
        # Work done never falls, and never passes where the project stands today.
        done = round(planned * (1 - (1 - ratio) * share), 1)
        if snaps:
            done = max(done, snaps[-1].percent_complete)
        done = min(done, float(project.percent_complete))
        snaps.append(
            ProgressSnapshot(
                organisation_id=project.organisation_id,
                project=project,
                date=day,
                percent_complete=done,
                percent_planned=planned,
            )
        )
        day += dt.timedelta(days=1)
    ProgressSnapshot.objects.bulk_create(snaps)


def refresh_snapshots(organisation: Organisation, people: dict[str, User]) -> str:
    """Near the end of the story: each project's daily snapshots again, from the project as the
    other contexts left it. Change requests and the handover add tasks after ``_progress``
    took them, so percent complete fell on the last day and earned value with it (EV read
    £28,476 a week ago and £26,346 today)."""
    del people
    today = timezone.localdate()
    for project in Project.objects.filter(organisation=organisation):
        if not Baseline.objects.filter(project=project, number=0).exists():
            continue
        project.refresh_from_db()
        ProgressSnapshot.objects.filter(project=project, date__lt=today).delete()
        _snapshots(project, today)
    return ""


CHARTER_DAYS = 24
"""A project was created (its charter written) this many days before its planned start."""


def _gate_time(project: Project, position: int, index: int) -> dt.datetime:
    """When the gate of phase ``position`` was signed off, for a project now in phase ``index``.

    The work of the plan begins at the project's start: the gates before it (initiation, and
    planning for a project past it) were signed off in the two weeks before, the last on the
    eve of the start. A project in closure passed its execution gate on the eve of its last
    phase (the close-out work)."""
    organisation = project.organisation
    before_work = min(index, 2)
    if position < before_work:
        days = 1 + 10 * (before_work - 1 - position)
        return at_local(organisation, workday(project.target_start - dt.timedelta(days=days)), 16)
    last = Task.objects.filter(project=project, is_summary=True).order_by("-position").first()
    first = (
        Task.objects.filter(parent=last, start__isnull=False).order_by("start").first()
        if last is not None
        else None
    )
    if first is None or first.start is None:
        return timezone.now() - dt.timedelta(days=7)
    began = first.start.astimezone(zone_of(organisation)).date()
    return at_local(organisation, workday(began - dt.timedelta(days=1)), 16)


def _gates(project: Project, actor: User) -> None:
    """Gates before the current phase are passed, with their checklists complete, one after the
    other before the work they open began (every gate of every project read "15 Nov"; then the
    planning gate of Line 3 was signed off six weeks into the work it approved)."""
    index = PHASE_ORDER.index(Phase(project.phase))
    for gate in Gate.objects.filter(project=project):
        position = PHASE_ORDER.index(Phase(gate.phase))
        if position < index:
            GateItem.objects.filter(gate=gate).update(done=True)
            gate.passed_at = past(_gate_time(project, position, index))
            gate.approved_by = project.sponsor or actor
            gate.save(update_fields=["passed_at", "approved_by"])
        elif gate.phase == project.phase:
            first = GateItem.objects.filter(gate=gate).order_by("id").first()
            if first is not None:
                first.done = True
                first.save(update_fields=["done"])


def _backdate(project: Project, spec: dict[str, Any]) -> None:
    """The project's own history at the time it happened: created with its charter three
    weeks before its start, its plan baselined when the plan was approved."""
    organisation = project.organisation
    created = at_local(
        organisation, workday(project.target_start - dt.timedelta(days=CHARTER_DAYS)), 10
    )
    stamp(project, created)
    move_history(project, created, "created")
    planning = Gate.objects.filter(project=project, phase=Phase.PLANNING).first()
    approved_plan: dt.datetime | None = None
    if planning is not None and planning.passed_at is not None:
        approved_plan = planning.passed_at - dt.timedelta(minutes=30)
    elif spec.get("plan_approved"):
        milestone = Task.objects.filter(project=project, name=spec["plan_approved"]).first()
        approved_plan = milestone.finish if milestone is not None else None
    if approved_plan is None:  # a project just starting: its plan as of the kick-off
        approved_plan = at_local(organisation, workday(project.target_start, back=False), 9)
    baseline = Baseline.objects.filter(project=project, number=0).first()
    if baseline is not None:
        stamp(baseline, approved_plan)
    # Saving the baseline also ticked the current gate's "Schedule baselined".
    move_history(project, approved_plan, "baseline saved", "gate checklist")


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    actor = people.get("Dana Whitfield") or next(iter(people.values()))
    programmes = {
        name: Programme.objects.create(
            organisation=organisation,
            name=name,
            description=text,
            manager=people.get(manager),
            objectives=objectives,
        )
        for name, text, manager, objectives in [
            (
                "Operational excellence",
                "Lean, quality and capacity improvements on the shop floor.",
                "Dana Whitfield",
                "- Raise OEE on Lines 1–3 from 64 % to **75 %** by the end of 2027\n"
                "- Halve the scrap rate of machined housings\n"
                "- Keep ISO 9001 certification with no major non-conformity",
            ),
            (
                "Digital plant",
                "Systems and data that run the plant.",
                "Marcus Obi",
                "- One source of truth for orders, stock and machine data (ERP upgrade)\n"
                "- Energy use per part measured on every line\n"
                "- No unplanned ERP downtime longer than **4 hours**",
            ),
        ]
    }
    projects = [_build(organisation, spec, people, actor, programmes) for spec in PROJECTS]
    for project, spec in zip(projects, PROJECTS, strict=True):
        _gates(project, actor)
        _backdate(project, spec)
    line3 = projects[0]
    fat = Task.objects.filter(project=line3, name="Robot cell factory acceptance test").first()
    if fat is not None:
        comment = Comment.objects.create(
            organisation=organisation,
            target_kind="task",
            target_id=fat.pk,
            author=people.get("Tomasz Nowak"),
            body="Supplier reports a two-week delay on the gripper; FAT moved. Asked for a recovery plan.",
        )
        # Written when the delay became known: two days before the FAT was planned to start.
        planned = BaselineTask.objects.filter(
            baseline__project=line3, baseline__number=0, task=fat
        ).first()
        if planned is not None and planned.start is not None:
            day = planned.start.astimezone(zone_of(organisation)).date()
            stamp(comment, at_local(organisation, workday(day - dt.timedelta(days=2)), 11, 20))
    line3.wip_limits = {"doing": 3, "review": 2}
    line3.save(update_fields=["wip_limits"])
    tasks = Task.objects.filter(project__in=projects).count()
    return f"{len(projects)} projects with {tasks} tasks"
