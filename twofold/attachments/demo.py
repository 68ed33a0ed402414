"""Demo mentions: a few comments that mention people (files are left for people to upload).

Each is on the task it talks about, at the time it was written (they sat on the first three
tasks of the database, a first-article report discussed on the ERP upgrade's "Planning", and
read "today" with their mention notifications)."""

from __future__ import annotations

import datetime as dt

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import at_local, happened, stamp, workday, zone_of
from twofold.projects import services as project_services
from twofold.projects.models import Task

# (author, body, project code, task name, working days after the task's start, hour)
COMMENTS = [
    (
        "Rita Costa",
        "@Priya Raman the first-article report needs the revised CMM programme.",
        "OPX-05",
        "First-article inspection",
        0,
        11,
    ),
    (
        "Priya Raman",
        "@Rita Costa done, and @Dana Whitfield: ready for the gate review.",
        "OPX-05",
        "First-article inspection",
        0,
        15,
    ),
    (
        "Chloe Martin",
        "@Dana Whitfield the MES interface spec is attached to the project.",
        "DIG-02",
        "Fit-gap workshops",
        3,
        16,
    ),
]


def load(organisation: Organisation, people: dict[str, User]) -> str:
    added = 0
    zone = zone_of(organisation)
    for author, body, code, name, after, hour in COMMENTS:
        user = people.get(author)
        task = Task.objects.filter(organisation=organisation, project__code=code, name=name).first()
        if user is None or task is None or task.start is None:
            continue
        day = task.start.astimezone(zone).date()
        for _ in range(after):
            day = workday(day + dt.timedelta(days=1), back=False)
        written = at_local(organisation, day, hour, 10 + 7 * added)
        with happened(organisation, written) as moment:
            comment = project_services.add_comment(actor=user, task=task, body=body)
        stamp(comment, moment)
        added += 1
    return f"{added} comments with mentions"
