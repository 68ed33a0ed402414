"""The improvement loop's handover in the demo: the project that came from a KPI signal hands
its result to operations as a NEW process, with a routine and a KPI, waiting for its owner.

"Complaints per 10,000 parts" signalled → Rita Costa raised "Complaints up: cosmetic defects
reach customers" → Dana Whitfield started "Final inspection vision check" from it, which went
live ten weeks ago (``improvement/demo_proof.py``: the item says "Improvement confirmed"). Here
Rita, its manager, proposes the handover to a process that does not exist yet, "Final
inspection camera check" (owner Dana), and drafts its daily lens-and-light routine and the KPI
"False rejects per 1,000 parts". Dana accepts it (in the app, or the browser test does): the
process, the routine and the KPI are created at once, each linked back to the project.
Rita proposed it two days ago, the latest handover (its history and Dana's notification say so).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Organisation, User
from twofold.closeout import services as closeout
from twofold.demo.backdate import earlier_today, happened, stamp
from twofold.improvement import services as improvement
from twofold.improvement.models import Handover
from twofold.projects.models import Project

PROJECT = "Final inspection vision check"
NEW_PROCESS = "Final inspection camera check"
ROUTINE = "Camera lens and ring light check"
KPI = "False rejects per 1,000 parts"


@transaction.atomic
def load(organisation: Organisation, people: dict[str, User]) -> str:
    project = (
        Project.objects.filter(organisation=organisation, name=PROJECT)
        .select_related("manager")
        .first()
    )
    dana, rita = people.get("Dana Whitfield"), people.get("Rita Costa")
    if project is None or dana is None or rita is None or project.manager is None:
        return ""
    # Two days ago, the latest handover proposed (after the CNC centre's draft).
    latest = (
        Handover.objects.filter(organisation=organisation)
        .order_by("-proposed_at")
        .values_list("proposed_at", flat=True)
        .first()
    )
    proposed = earlier_today(organisation, 14, 20) - dt.timedelta(days=2)
    if latest is not None:
        proposed = max(proposed, latest + dt.timedelta(hours=1))
    with happened(organisation, proposed) as moment:
        handover = _propose(project, dana, rita)
    stamp(handover, moment, "proposed_at")
    return f"a handover of {PROJECT} to a new process, waiting for Dana Whitfield"


def _propose(project: Project, dana: User, rita: User) -> Handover:
    assert project.manager is not None
    handover = improvement.propose_handover(
        actor=project.manager,
        project=project,
        process=None,
        new_process_name=NEW_PROCESS,
        new_process_owner=dana,
        new_process_description=(
            "The camera check at final inspection: keeps the lens and ring light clean and "
            "calibrated, and watches how many good parts it rejects."
        ),
        deliverables=[
            {"text": "Work instruction for the camera check released", "done": True},
            {"text": "Inspectors on both shifts trained", "done": True},
            {"text": "Golden samples stored at the station", "done": True},
        ],
        note="Live since ten weeks; complaints are down. Please take the camera check over.",
    )
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    closeout.add_part(
        actor=project.manager,
        handover=handover,
        kind="routine",
        name=ROUTINE,
        spec={
            "description": "Before the first shift: clean the lens, check the ring light, run "
            "the golden samples.",
            "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "starts_on": (monday + dt.timedelta(days=7)).isoformat(),
            "due_time": "06:15",
            "effort_minutes": 15,
            "assignee_id": rita.pk,
            "steps": [
                {"text": "Clean the lens and the ring light diffuser", "evidence": "none"},
                {"text": "Run the five golden samples: all judged right", "evidence": "pass_fail"},
            ],
        },
    )
    closeout.add_part(
        actor=project.manager,
        handover=handover,
        kind="kpi",
        name=KPI,
        spec={
            "description": "Good parts the camera rejects, per 1,000 inspected, weekly.",
            "unit": "per 1,000",
            "good_direction": "down",
            "target": 5,
            "amber_threshold": 8,
            "red_threshold": 12,
            "frequency": "weekly",
        },
    )
    return handover
