"""Demo: an improvement that proves itself (called by twofold/demo/loader.py after improvement).

Customer complaints per 10,000 parts ran steadily around 1.4 for a year and a half, then rose
(a run above the centre line: a signal). Dana raised an improvement item from the signal, with
its PDCA record; a project, "Final inspection vision check", changed the Customer complaints
process and went live ten weeks ago (the project is in execution, closing). Since then complaints sit clearly lower: eight points in a
row below the old centre line, so the item says "improvement confirmed" and the KPI's chart shows
the two phases, each with its own limits.

It also gives Dana (the demo user) a routine and two requests, so My work shows every kind.

Every step is stamped when it happened: the item raised nine weeks into the rise, the project
started a week later with its plan, each task done on its day and the camera check live on the
go-live day. The project's people come from the pool (Hana Sato trials the camera, Ben Carter
agrees the reject criteria and trains the inspectors, Grace Liu builds the station, Rita Costa
hands it over), so the costs demo books their hours as its progress says (CI-05 had no people
and no hours). Dana's weekly review has run twice a week for twenty weeks.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import at_local, earlier_today, happened, stamp, workday, zone_of
from twofold.improvement import go_live, services
from twofold.improvement.models import (
    Effort,
    ImprovementItem,
    ItemStatus,
    ProcessChange,
    Source,
)
from twofold.operations import assignment
from twofold.operations import services as ops
from twofold.operations.demo import record_past_runs
from twofold.operations.models import DONE_STATUSES, Evidence, Kpi, Measurement, Queue, Request
from twofold.projects.models import Phase, Project

KPI_NAME = "Complaints per 10,000 parts"
RISE_WEEKS = 16  # weeks of the rise before the fix
AFTER_WEEKS = 10  # weeks since go-live


def _rewrite_series(kpi: Kpi, rng: random.Random, *, fixed: bool) -> list[dt.date]:
    """Stable, then a rise (to the end while not ``fixed``; else lower since go-live).

    Returns the measurement days. Written in two steps so the item is raised from the signal as
    it was before the fix (its evidence and history read as they did then)."""
    rows = list(Measurement.objects.filter(kpi=kpi).order_by("measured_on"))
    n = len(rows)
    for i, row in enumerate(rows):
        if fixed and i >= n - AFTER_WEEKS:
            row.value = round(max(0.2, rng.gauss(0.85, 0.12)), 2)
        elif not fixed and i >= n - AFTER_WEEKS - RISE_WEEKS:
            row.value = round(rng.gauss(2.1, 0.15), 2)
    Measurement.objects.bulk_update(rows, ["value"])
    days = [r.measured_on for r in rows]
    # The voice of the process before the rise is the baseline the change is judged against.
    Kpi.objects.filter(pk=kpi.pk).update(
        baseline_start=days[0], baseline_end=days[n - AFTER_WEEKS - RISE_WEEKS - 1]
    )
    kpi.refresh_from_db()
    ops.refresh_kpi_states([kpi])
    return days


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create the story; ``people`` maps full names to users. Returns a summary."""
    dana = people.get("Dana Whitfield")
    kpi = (
        Kpi.objects.filter(organisation=organisation, name=KPI_NAME)
        .select_related("process")
        .first()
    )
    if dana is None or kpi is None:
        return ""
    rng = random.Random(13)
    days = _rewrite_series(kpi, rng, fixed=False)
    n = len(days)
    go_live_day = days[n - AFTER_WEEKS]
    rise_day = days[n - AFTER_WEEKS - RISE_WEEKS]
    rita = people.get("Rita Costa", dana)
    org = organisation
    raised_at = timezone.make_aware(
        dt.datetime.combine(rise_day + dt.timedelta(weeks=9), dt.time(9, 30))
    )
    started = at_local(org, workday(rise_day + dt.timedelta(weeks=10), back=False), 9)
    live = at_local(org, go_live_day, 17)

    with happened(org, raised_at):
        item = services.create_item(
            actor=rita,
            organisation=organisation,
            source=Source.KPI_SIGNAL,
            kpi=kpi,
            title="Complaints up: cosmetic defects reach customers",
            problem=(
                "Complaints per 10,000 parts rose from about 1.4 to over 2 in one quarter; most "
                "are scratches and dents on visible faces that final inspection did not catch."
            ),
            owner=dana,
            expected_benefit="Complaints back under the 1.5 target; fewer 8D reports and credits.",
            benefit=4,
            effort=Effort.MEDIUM,
            root_cause=(
                "Visual checks at final inspection run at line speed under poor light; the new "
                "high-gloss finish shows marks that were invisible on the old one."
            ),
            countermeasure=(
                "A camera check with ring light at final inspection rejects marked parts before "
                "packing; inspectors judge only the parts it flags."
            ),
            check_notes=(
                "Ten weeks after go-live complaints run well below the old centre line; the "
                "control chart confirms the shift (eight in a row below)."
            ),
            act="Camera check written into the final inspection work instruction; roll out to Line 3.",
        )
    ImprovementItem.objects.filter(pk=item.pk).update(created_at=raised_at)
    item.refresh_from_db()
    with happened(org, raised_at + dt.timedelta(days=2, hours=5)):
        services.set_status(actor=dana, item=item, status=ItemStatus.TRIAGED, expected_version=None)
    with happened(org, started):
        project = services.start_project(
            actor=dana,
            item=item,
            expected_version=None,
            manager=people.get("Rita Costa", dana),
            name="Final inspection vision check",
            target_start=rise_day + dt.timedelta(weeks=10),
            target_finish=go_live_day,
        )
    stamp(project, started)
    _rewrite_series(kpi, rng, fixed=True)  # ten weeks since the camera check went live
    # The project is in execution (the demo does not replay its earlier gates): the camera
    # check is live, and the gate into closure waits for Dana, its sponsor, to sign it off.
    Project.objects.filter(pk=project.pk).update(phase=Phase.EXECUTION, sponsor=dana)
    project.refresh_from_db()
    item.refresh_from_db()
    link = ProcessChange.objects.get(project=project, process=kpi.process)  # start_project's
    with happened(org, live):
        go_live.set_link_go_live(actor=dana, link=link, go_live=go_live_day, expected_version=None)
        go_live.set_item_go_live(
            actor=dana, item=item, go_live=go_live_day, expected_version=item.version
        )

    _plan(project, dana, people, started, go_live_day)
    _work_for_dana(organisation, dana, kpi)
    return "an improvement confirmed on its control chart (complaints, camera check)"


# (task, working days, work in days, assignee, status at go-live): the station is built on and
# off between line runs, the criteria agreed and the inspectors trained beside their own work.
STEPS = [
    ("Camera and ring-light trial on the bench", 8, 7, "Hana Sato", "done"),
    ("Reject criteria agreed with quality", 5, 3, "Ben Carter", "done"),
    ("Camera station installed at final inspection", 10, 6, "Grace Liu", "done"),
    ("Inspectors trained on the flagged-part check", 5, 3, "Ben Carter", "done"),
    ("Camera check live at final inspection", 0, 0, "Rita Costa", "done"),
    ("Handover to Customer complaints", 5, 2, "Rita Costa", "doing"),
    ("Close-out review and lessons", 1, 1, "Rita Costa", "todo"),
]


def _plan(
    project: Project,
    dana: User,
    people: dict[str, User],
    started: dt.datetime,
    go_live_day: dt.date,
) -> None:
    """The project's own plan, done up to its go-live, the handover still under way (it read
    "Not planned: no tasks" while its camera check had been live for ten weeks). Planned with
    its people when it started, the camera check live on the go-live day (its milestone sat
    three weeks earlier), each task ticked done when it finished."""
    from twofold.projects import services as plans
    from twofold.projects.models import Task

    organisation = project.organisation
    previous = None
    made = []
    with happened(organisation, started + dt.timedelta(minutes=30)):
        for name, days, work, who, _status in STEPS:
            extra: dict[str, Any] = (
                {"constraint_type": "snet", "constraint_date": go_live_day} if days == 0 else {}
            )
            task, _ = plans.create_task(
                actor=dana,
                project=project,
                name=name,
                duration_minutes=days * 480,
                effort_minutes=work * 480,
                is_milestone=days == 0,
                assignee=people.get(who),
                **extra,
            )
            if previous is not None:
                plans.add_link(actor=dana, project=project, pred=previous, succ=task)
            previous = task
            made.append(task)
    for task, (_name, _days, _work, _who, status) in zip(made, STEPS, strict=True):
        if status == "todo":
            continue
        task = Task.objects.get(pk=task.pk)
        assert task.finish is not None
        values = {"status": status} if status == "done" else {"percent_complete": 60}
        ticked = (
            task.finish
            if status == "done"
            else earlier_today(organisation, 16) - dt.timedelta(days=2)
        )
        with happened(organisation, ticked):
            plans.update_task(actor=dana, task=task, expected_version=task.version, **values)
    # Progress is reported to today, and the work left is scheduled from there (it lay in
    # September, before today, and the card read "Finish 18 Sep" for a project still open).
    project.refresh_from_db()
    with happened(organisation, earlier_today(organisation, 8, 45)):
        plans.update_project(
            actor=dana,
            project=project,
            expected_version=project.version,
            status_date=timezone.localdate(),
            reschedule_after_status=True,
        )


def _work_for_dana(organisation: Organisation, dana: User, kpi: Kpi) -> None:
    """A weekly review routine and two open requests (re-assigned to her, as a team lead
    takes over escalations) for the demo user's My work."""
    today = timezone.localdate()
    since = today - dt.timedelta(weeks=20)
    with happened(organisation, at_local(organisation, workday(since - dt.timedelta(days=3)), 16)):
        routine = ops.create_routine(
            actor=dana,
            process=kpi.process,
            name="Weekly improvement review",
            rrule="FREQ=WEEKLY;BYDAY=MO,TH",
            starts_on=since,
            assignee=dana,
            effort_minutes=45,
            steps=[
                ops.StepSpec("KPI signals reviewed on the improvement board", Evidence.PASS_FAIL),
                ops.StepSpec("Items due a check: before/after looked at", Evidence.NOTE),
            ],
        )
    ops.generate_occurrences(routines=[routine])
    record_past_runs(routine, since=since, rng=random.Random(1717))
    queue = Queue.objects.filter(organisation=organisation).order_by("name").first()
    if queue is None:
        return
    open_requests = (
        Request.objects.filter(queue=queue)
        .exclude(status__in=DONE_STATUSES)
        .exclude(assignee=dana)
        .order_by("-created_at")[:2]
    )
    for request in open_requests:
        # Taken over an hour after it came in (an escalation), not when the demo was loaded;
        # one that came in after hours, the next morning.
        with happened(organisation, _taken_over(organisation, request.created_at)):
            assignment.assign_request(
                actor=dana, request=request, assignee=dana, expected_version=request.version
            )


def _taken_over(organisation: Organisation, came_in: dt.datetime) -> dt.datetime:
    moment = came_in + dt.timedelta(hours=1)
    local = moment.astimezone(zone_of(organisation))
    if 8 <= local.hour < 17 and local.weekday() < 5:
        return moment
    day = local.date() + dt.timedelta(days=1 if local.hour >= 17 else 0)
    return at_local(organisation, workday(day, back=False), 8, 30)
