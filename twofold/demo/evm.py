"""Demo: budgets and change requests that tell the cost story with the costs demo's actuals.

* "Line 3 automation cell" (OPX-03) overruns its cost: CPI 0.86 (its timesheets burn 1/0.86 of
  the earned work); a change request to add a vision inspection station was rejected, and one
  to extend operator training is open.
* "ISO 9001 recertification" (QMS-26) is on budget: CPI 1.01 (its timesheets a hair under).
* "New CNC machine commissioning" (OPX-05) has planned expenses, an installation that ran over
  its line (CPI in the amber band), and an approved change (a spindle vibration test) that saved
  baseline #1.
* DIG-01 (closed), DIG-02 (in planning: licences budgeted, not yet bought) and OPX-08 (a racking
  survey waiting for approval) have expense lines beside their people's rates.

The budgets were set when each plan was approved (its baseline), the vision station was asked
for and turned down while the robot cell was being installed, the vibration test approved
before the CNC machine's probing (its baseline #1 then), the training extension raised two days
ago: their history, dates and notifications say so (a decided request's notice is read).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.changes import services as changes
from twofold.changes.impact import ItemSpec
from twofold.changes.models import ChangeRequest
from twofold.demo.backdate import (
    at_local,
    earlier_today,
    happened,
    local_day,
    past,
    stamp,
    workdays_after,
)
from twofold.evm import services
from twofold.notifications.models import Notification
from twofold.projects.models import Baseline, Project, Task

STORIES: dict[str, tuple[Decimal | None, list[tuple[str, str, Decimal]]]] = {
    # code: (planned labour rate for work without a person's rate, planned expenses)
    # OPX-03 and QMS-26 carry no expenses in the costs demo: their AC is time only, so their
    # budgets are labour only and CPI tells the time story (0.86 and 1.01).
    "OPX-03": (Decimal("80"), []),
    "QMS-26": (Decimal("70"), []),
    # OPX-05's installation cost more than its line: CPI in the amber band (0.90–0.95).
    "OPX-05": (
        Decimal("78"),
        [
            ("equipment", "Spindle tooling set", Decimal("6400")),
            ("subcontract", "Machine installation and levelling", Decimal("10200")),
        ],
    ),
    # The others' labour is priced by people's rates (no planned rate); their expense lines.
    "DIG-01": (None, [("equipment", "Energy meters (12)", Decimal("3960"))]),
    "DIG-02": (
        None,
        [
            ("software", "ERP upgrade licences", Decimal("24500")),
            ("subcontract", "Data migration consultants", Decimal("18200")),
        ],
    ),
    "OPX-08": (None, [("subcontract", "Racking survey", Decimal("1500"))]),
}


def load(organisation: Organisation, people: dict[str, User]) -> str:
    projects = {
        p.code: p
        for p in Project.objects.filter(
            organisation=organisation, code__in=list(STORIES)
        ).select_related("organisation", "sponsor", "manager")
    }
    if len(projects) != len(STORIES):
        return ""
    admin = next(iter(u for u in people.values() if u.memberships.filter(role="owner").exists()))
    for code, (rate, lines) in STORIES.items():
        project = projects[code]
        approved = Baseline.objects.filter(project=project, number=0).first()
        budgeted = (
            approved.created_at + dt.timedelta(minutes=20)
            if approved is not None
            else earlier_today(organisation)
        )
        with happened(organisation, budgeted):
            _budget(admin, project, rate, lines)
    line3, cnc = projects["OPX-03"], projects["OPX-05"]
    tasks = {t.name: t for t in Task.objects.filter(project__in=[line3, cnc])}
    manager3 = line3.manager or admin
    org = organisation
    installing = tasks["Robot cell installation"].start or timezone.now()
    raised = at_local(org, workdays_after(local_day(org, installing), 1), 11)
    with happened(org, raised):
        vision = _vision(manager3, line3, tasks)
    _stamp_change(vision, raised)
    rejected = at_local(org, workdays_after(local_day(org, raised), 4), 16)
    with happened(org, rejected):
        changes.reject_change_request(
            actor=line3.sponsor or admin,
            change=vision,
            expected_version=vision.version,
            reason="Not in this project's scope: raise it with the quality programme next year.",
        )
    _stamp_change(vision, raised, rejected)
    raised = earlier_today(org, 10, 40) - dt.timedelta(days=2)
    with happened(org, raised):
        training = changes.raise_change_request(
            actor=manager3,
            project=line3,
            title="Extend operator training",
            reason="Night shift joins the cell in the second month.",
            items=[ItemSpec("resize", task_id=tasks["Operator training"].pk, days=5)],
        )
    _stamp_change(training, raised)
    levelling = tasks["Machine levelling and geometry check"].start or timezone.now()
    probing = tasks["Probing and tool setter calibration"].start or timezone.now()
    raised = at_local(org, workdays_after(local_day(org, levelling), 3), 14)
    with happened(org, raised):
        vibration = _vibration(cnc, admin, tasks)
    _stamp_change(vibration, raised)
    decided = max(
        raised + dt.timedelta(hours=3),
        at_local(org, local_day(org, probing) - dt.timedelta(days=1), 16),
    )
    with happened(org, decided):
        changes.approve_change_request(
            actor=cnc.sponsor or admin,
            change=vibration,
            expected_version=vibration.version,
            note="Approved: the warranty needs it.",
        )
    _stamp_change(vibration, raised, decided)
    _vibration_done(org, cnc, admin, tasks["Probing and tool setter calibration"])
    # The approval saved baseline #1 (the plan of record since then).
    for baseline in Baseline.objects.filter(project=cnc, number__gt=0):
        stamp(baseline, decided)
    _ceilings(organisation)
    return f"budgets on {len(STORIES)} projects, 3 change requests (1 approved, 1 rejected, 1 open)"


def _budget(
    admin: User, project: Project, rate: Decimal | None, lines: list[tuple[str, str, Decimal]]
) -> None:
    if rate is not None:
        services.set_labour_rate(actor=admin, project=project, rate=rate, expected_version=None)
    for category, description, amount in lines:
        services.add_budget_line(
            actor=admin,
            project=project,
            category=category,
            description=description,
            amount=amount,
        )


def _stamp_change(
    change: ChangeRequest, raised: dt.datetime, decided: dt.datetime | None = None
) -> None:
    """The request's own dates; once decided, its "waits for a decision" notices were read."""
    stamp(change, raised)
    if decided is not None:
        stamp(change, decided, "decided_at")
        Notification.objects.filter(
            target_type=ContentType.objects.get_for_model(ChangeRequest),
            target_id=change.pk,
            read_at__isnull=True,
        ).update(read_at=past(decided))


def _vision(manager: User, line3: Project, tasks: dict[str, Task]) -> ChangeRequest:
    return changes.raise_change_request(
        actor=manager,
        project=line3,
        title="Add a vision inspection station",
        reason="Quality asked for 100 % inspection of bore positions.",
        description="A camera station after the robot cell, with its own PLC logic.",
        budget_change=Decimal("22000"),
        items=[
            ItemSpec(
                "add",
                name="Vision station integration",
                days=6,
                predecessor_id=tasks["Safety guarding installation"].pk,
            )
        ],
    )


def _vibration(cnc: Project, admin: User, tasks: dict[str, Task]) -> ChangeRequest:
    return changes.raise_change_request(
        actor=cnc.manager or admin,
        project=cnc,
        title="Add a spindle vibration test",
        reason="The supplier's warranty needs a vibration baseline at acceptance.",
        budget_change=Decimal("1800"),
        items=[
            ItemSpec(
                "add",
                name="Spindle vibration test",
                days=1,
                predecessor_id=tasks["Probing and tool setter calibration"].pk,
            )
        ],
    )


def _vibration_done(org: Organisation, cnc: Project, admin: User, probing: Task) -> None:
    """The approved test was run on its planned day by the engineer who calibrated the probe
    (it sat as a to-do without anyone, dated in the past, while the plan around it was done),
    with that day's hours on their timesheet, approved as the rest of the project's time, and
    the analyser's on-site service as an approved expense (under the change's £1,800, so the
    project's CPI stays in the amber band the installation's overrun put it in)."""
    from twofold.costs.models import EntryStatus, Expense, TimeEntry, Timesheet
    from twofold.projects import services as projects

    test = Task.objects.filter(project=cnc, name="Spindle vibration test").first()
    if test is None or test.start is None or test.finish is None or test.finish > timezone.now():
        return
    day = local_day(org, test.start)
    with happened(org, at_local(org, day, 16, 30)):
        projects.update_task(
            actor=cnc.manager or admin,
            task=test,
            expected_version=test.version,
            assignee=probing.assignee,
            status="done",
            percent_complete=100,
            actual_start=day,
            actual_finish=local_day(org, test.finish),
        )
    if probing.assignee_id is None:
        return
    week = day - dt.timedelta(days=(day.weekday() - org.week_start) % 7)
    sheet, _ = Timesheet.objects.get_or_create(
        organisation=org, person_id=probing.assignee_id, week_start=week
    )
    hours = Decimal(test.duration_minutes or 480) / 60
    TimeEntry.objects.create(
        organisation=org,
        timesheet=sheet,
        person_id=probing.assignee_id,
        day=day,
        hours=hours,
        kind="task",
        task=test,
        project_id=cnc.pk,
        status=EntryStatus.APPROVED,
        decided_by=cnc.manager,
        decided_at=past(at_local(org, day + dt.timedelta(days=7 - day.weekday()), 10)),
        created_at=past(at_local(org, day, 17)),
    )
    Expense.objects.create(
        organisation=org,
        project=cnc,
        task=test,
        spent_on=day,
        category="other",
        amount=Decimal("1450.00"),
        supplier="SKF",
        description="Spindle vibration analysis, on site",
        status=EntryStatus.APPROVED,
        submitted_by=probing.assignee,
        decided_by=cnc.manager,
        decided_at=past(at_local(org, day + dt.timedelta(days=4), 10)),
        created_at=past(at_local(org, day, 17, 30)),
    )


def _ceilings(organisation: Organisation) -> None:
    """Each project's charter ceiling a little above its budget at completion, rounded up to
    5,000 (every project read "Budget ceiling £250,000" whatever it cost)."""
    from twofold.evm.portfolio import metrics_of

    everything = list(Project.objects.filter(organisation=organisation))
    for project in everything:
        project.organisation = organisation
    figures = metrics_of(organisation, everything)
    for project in everything:
        bac = figures[project.pk].bac if project.pk in figures else Decimal(0)
        ceiling = (bac * Decimal("1.15") / 5000).to_integral_value(rounding="ROUND_CEILING") * 5000
        Project.objects.filter(pk=project.pk).update(budget_ceiling=ceiling or Decimal(25000))
