"""This context's part of the demo story (called by twofold/demo/loader.py last).

Operations shows the signals: Line 2's scrap rate shifted up after the spindle was replaced, so
an improvement item is raised from it and a small root-cause project starts; patch compliance
slips below target (triaged); a routine that is often late or missed is a new item; predictive
greasing already cut unplanned downtime (done, with its measured result). The "Energy monitoring
pilot" project, in closure, hands its results to Preventive maintenance, awaiting acceptance.

Each step's history is stamped when it happened: the scrap item raised last week and its
project started today, the greasing item raised 400 days ago and done once the lower downtime
had held for two months, the pilot's handover proposed when its savings case was done.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import at_local, earlier_today, happened, stamp, workday
from twofold.improvement import selectors, services
from twofold.improvement.models import Effort, ImprovementItem, ItemStatus, Source
from twofold.operations.models import Kpi, Measurement, Process, Routine
from twofold.projects.models import Project, Task


def _kpi(org: Organisation, name: str) -> Kpi | None:
    return Kpi.objects.filter(organisation=org, name=name).select_related("process").first()


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    dana = people.get("Dana Whitfield")
    if dana is None:
        return ""
    org = organisation
    today = timezone.localdate()
    made: list[ImprovementItem] = []

    def days_ago(days: int, hour: int, minute: int = 0) -> dt.datetime:
        return at_local(org, workday(today - dt.timedelta(days=days)), hour, minute)

    scrap = _kpi(org, "Scrap rate")
    if scrap is not None:
        raised = days_ago(9, 10)
        with happened(org, raised):
            item = services.create_item(
                actor=people.get("Oliver Brandt", dana),
                organisation=org,
                source=Source.KPI_SIGNAL,
                kpi=scrap,
                title="Scrap rate up on Line 2 since the spindle change",
                problem=(
                    "Since the spindle on Line 2 was replaced, scrap on pump housings has run well "
                    "above its old level: chatter marks on the bore finish are the main defect."
                ),
                owner=people.get("Priya Raman"),
                expected_benefit="Scrap back under 2.2 %, about £38,000 a year of material and rework.",
                benefit=5,
                effort=Effort.MEDIUM,
            )
        stamp(item, raised)
        with happened(org, days_ago(6, 9, 30)):
            services.set_status(
                actor=dana, item=item, status=ItemStatus.TRIAGED, expected_version=None
            )
        started = earlier_today(org, 9, 0)
        with happened(org, started):
            project = services.start_project(
                actor=dana,
                item=item,
                expected_version=None,
                manager=people.get("Priya Raman", dana),
                name="Spindle vibration root cause",
                target_start=today,
                target_finish=today + dt.timedelta(days=42),
            )
        stamp(project, started)
        made.append(item)

    patch = _kpi(org, "Patch compliance")
    if patch is not None:
        raised = days_ago(16, 11)
        with happened(org, raised):
            item = services.create_item(
                actor=people.get("Chloe Martin", dana),
                organisation=org,
                source=Source.KPI_SIGNAL,
                kpi=patch,
                title="Patch compliance below target on shop-floor servers",
                problem=(
                    "Shop-floor servers miss the monthly patch window because production will not "
                    "release them during shifts; compliance keeps dipping under 95 %."
                ),
                owner=people.get("Chloe Martin"),
                expected_benefit="Compliance at or above 95 % every month; audit finding closed.",
                benefit=3,
                effort=Effort.SMALL,
            )
        stamp(item, raised)
        with happened(org, days_ago(13, 14)):
            services.set_status(
                actor=dana, item=item, status=ItemStatus.TRIAGED, expected_version=None
            )
        made.append(item)

    routine_rows = [
        s for s in selectors.signals(org) if s.kind == Source.ROUTINE_MISSES and s.item is None
    ]
    routine = (
        routine_rows[0].obj
        if routine_rows
        else Routine.objects.filter(organisation=org).order_by("name").first()
    )
    if isinstance(routine, Routine):
        raised = days_ago(4, 10, 30)
        with happened(org, raised):
            item = services.create_item(
                actor=people.get("Rita Costa", dana),
                organisation=org,
                source=Source.ROUTINE_MISSES,
                routine=routine,
                title=f"{routine.name} often late or missed",
                problem=(
                    f"“{routine.name}” slips when its owner is on the shop floor; nobody covers it, "
                    "so checks are done late or not at all."
                ),
                owner=routine.assignee,
                expected_benefit="On time at least 90 % of the time with a named deputy.",
                benefit=2,
                effort=Effort.SMALL,
            )
        stamp(item, raised)
        made.append(item)

    downtime = _kpi(org, "Unplanned downtime")
    if downtime is not None:
        raised_at = days_ago(400, 10)
        with happened(org, raised_at):
            item = services.create_item(
                actor=people.get("Luis Ortega", dana),
                organisation=org,
                source=Source.KPI_SIGNAL,
                kpi=downtime,
                title="Predictive greasing of Line 2 spindles",
                problem="Bearing failures on Line 2 caused most unplanned downtime last year.",
                owner=people.get("Luis Ortega"),
                expected_benefit="Unplanned downtime under 4.5 h a week.",
                benefit=4,
                effort=Effort.SMALL,
            )
        ImprovementItem.objects.filter(pk=item.pk).update(
            created_at=raised_at,
            raised_value=5.2,
            evidence=(
                "Unplanned downtime: 5.2 h a week on average over the last 13 weeks, "
                "target 4 h; 7 of 13 weeks above 5 h."
            ),
        )
        item.refresh_from_db()
        with happened(org, raised_at + dt.timedelta(days=2)):
            services.set_status(
                actor=dana, item=item, status=ItemStatus.TRIAGED, expected_version=None
            )
        with happened(org, raised_at + dt.timedelta(days=12)):
            services.set_status(
                actor=dana, item=item, status=ItemStatus.IN_PROGRESS, expected_version=None
            )
        done_at = _downtime_held(downtime) or raised_at + dt.timedelta(days=200)
        with happened(org, done_at):
            services.complete_item(
                actor=people.get("Luis Ortega", dana),
                item=item,
                expected_version=None,
                result=(
                    "Grease every 250 spindle hours with a temperature check after run-in; "
                    "downtime fell and has stayed lower since."
                ),
            )
        stamp(item, done_at, "closed_at")
        made.append(item)

    handovers = 0
    pilot = Project.objects.filter(organisation=org, name="Energy monitoring pilot").first()
    maintenance = Process.objects.filter(organisation=org, name="Preventive maintenance").first()
    if pilot is not None and maintenance is not None:
        savings = Task.objects.filter(project=pilot, name="Savings case").first()
        proposed = (
            savings.finish + dt.timedelta(minutes=40)
            if savings is not None and savings.finish is not None
            else days_ago(21, 16)
        )
        with happened(org, proposed):
            handover = services.propose_handover(
                actor=pilot.manager or dana,
                project=pilot,
                process=maintenance,
                deliverables=[
                    {
                        "text": "Sub-meter wiring diagrams and calibration certificates",
                        "done": True,
                    },
                    {"text": "Maintenance team trained on the energy dashboard", "done": True},
                    {"text": "Two spare sub-meters in stores", "done": True},
                    {"text": "kWh per part KPI set up on Line 2 production", "done": False},
                ],
                note=(
                    "Meters stay in place after the pilot; maintenance owns their calibration "
                    "and the weekly energy review."
                ),
            )
        stamp(handover, proposed, "proposed_at")
        handovers = 1
    return f"{len(made)} improvement items, {handovers} handover awaiting acceptance"


def _downtime_held(kpi: Kpi) -> dt.datetime | None:
    """Two months after unplanned downtime fell to its new level (the greasing's result)."""
    days = list(
        Measurement.objects.filter(kpi=kpi)
        .order_by("measured_on")
        .values_list("measured_on", flat=True)
    )
    if len(days) <= DOWNTIME_SHIFT:
        return None
    return at_local(kpi.organisation, days[DOWNTIME_SHIFT] + dt.timedelta(weeks=8), 16)


DOWNTIME_SHIFT = 70
"""The week of the two years of downtime values where it fell (``operations/demo.py``)."""
