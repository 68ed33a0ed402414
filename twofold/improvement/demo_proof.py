"""Demo: an improvement that proves itself (called by twofold/demo/loader.py after improvement).

Customer complaints per 10,000 parts ran steadily around 1.4 for a year and a half, then rose
(a run above the centre line: a signal). Dana raised an improvement item from the signal, with
its PDCA record; a project, "Final inspection vision check", changed the Customer complaints
process and went live ten weeks ago (the project is in execution, closing). Since then complaints sit clearly lower: eight points in a
row below the old centre line, so the item says "improvement confirmed" and the KPI's chart shows
the two phases, each with its own limits.

It also gives Dana (the demo user) a routine and two requests, so My work shows every kind.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
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
    raised_at = timezone.make_aware(
        dt.datetime.combine(rise_day + dt.timedelta(weeks=9), dt.time(9, 30))
    )
    ImprovementItem.objects.filter(pk=item.pk).update(created_at=raised_at)
    item.refresh_from_db()
    services.set_status(actor=dana, item=item, status=ItemStatus.TRIAGED, expected_version=None)
    project = services.start_project(
        actor=dana,
        item=item,
        expected_version=None,
        manager=people.get("Rita Costa", dana),
        name="Final inspection vision check",
        target_start=rise_day + dt.timedelta(weeks=10),
        target_finish=go_live_day,
    )
    _rewrite_series(kpi, rng, fixed=True)  # ten weeks since the camera check went live
    # The project is in execution (the demo does not replay its earlier gates): the camera
    # check is live, and the gate into closure waits for Dana, its sponsor, to sign it off.
    Project.objects.filter(pk=project.pk).update(phase=Phase.EXECUTION, sponsor=dana)
    project.refresh_from_db()
    item.refresh_from_db()
    link = ProcessChange.objects.get(project=project, process=kpi.process)  # start_project's
    go_live.set_link_go_live(actor=dana, link=link, go_live=go_live_day, expected_version=None)
    go_live.set_item_go_live(
        actor=dana, item=item, go_live=go_live_day, expected_version=item.version
    )

    _plan(project, dana)
    _work_for_dana(organisation, dana, kpi)
    return "an improvement confirmed on its control chart (complaints, camera check)"


def _plan(project: Project, dana: User) -> None:
    """The project's own plan, done up to its go-live, the handover still under way (it read
    "Not planned: no tasks" while its camera check had been live for ten weeks)."""
    from twofold.projects import services as plans
    from twofold.projects.models import Task

    steps = [
        ("Camera and ring-light trial on the bench", 5, "done"),
        ("Reject criteria agreed with quality", 3, "done"),
        ("Camera station installed at final inspection", 4, "done"),
        ("Inspectors trained on the flagged-part check", 2, "done"),
        ("Camera check live at final inspection", 0, "done"),
        ("Handover to Customer complaints", 5, "doing"),
        ("Close-out review and lessons", 1, "todo"),
    ]
    previous = None
    made = []
    for name, days, _status in steps:
        task, _ = plans.create_task(
            actor=dana,
            project=project,
            name=name,
            duration_minutes=days * 480,
            is_milestone=days == 0,
        )
        if previous is not None:
            plans.add_link(actor=dana, project=project, pred=previous, succ=task)
        previous = task
        made.append(task)
    for task, (_name, _days, status) in zip(made, steps, strict=True):
        if status == "todo":
            continue
        task = Task.objects.get(pk=task.pk)
        values = {"status": status} if status == "done" else {"percent_complete": 60}
        plans.update_task(actor=dana, task=task, expected_version=task.version, **values)
    # Progress is reported to today, and the work left is scheduled from there (it lay in
    # September, before today, and the card read "Finish 18 Sep" for a project still open).
    project.refresh_from_db()
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
    routine = ops.create_routine(
        actor=dana,
        process=kpi.process,
        name="Weekly improvement review",
        rrule="FREQ=WEEKLY;BYDAY=MO,TH",
        starts_on=today - dt.timedelta(days=7),
        assignee=dana,
        effort_minutes=45,
        steps=[
            ops.StepSpec("KPI signals reviewed on the improvement board", Evidence.PASS_FAIL),
            ops.StepSpec("Items due a check: before/after looked at", Evidence.NOTE),
        ],
    )
    ops.generate_occurrences(routines=[routine])
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
        assignment.assign_request(
            actor=dana, request=request, assignee=dana, expected_version=request.version
        )
