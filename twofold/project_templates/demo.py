"""Demo templates for Halvorsen Precision, saved from two demo projects (after their risks),
last week (their history and the templates' dates say so, not the day the demo was loaded)."""

from __future__ import annotations

import datetime as dt

from twofold.accounts.models import Organisation, User
from twofold.demo.backdate import earlier_today, happened, stamp
from twofold.project_templates import services
from twofold.projects.models import Project

TEMPLATES = [
    (
        "OPX-05",
        "Equipment installation",
        "Buy, install and commission a machine: specification, FAT, installation, SAT, "
        "training and handover to production.",
    ),
    (
        "QMS-26",
        "ISO audit preparation",
        "Internal audits, management review and the certification audit, with the usual risks.",
    ),
]


def load(organisation: Organisation, people: dict[str, User]) -> str:
    actor = people.get("Dana Whitfield") or next(iter(people.values()))
    made = 0
    saved = earlier_today(organisation, 15, 10) - dt.timedelta(days=6)
    for code, name, description in TEMPLATES:
        project = Project.objects.filter(organisation=organisation, code=code).first()
        if project is not None:
            at = saved + dt.timedelta(minutes=12 * made)
            with happened(organisation, at):
                template = services.save_as_template(
                    actor=actor, project=project, name=name, description=description
                )
            stamp(template, at)
            made += 1
    return f"{made} project templates"
