"""Demo templates for Halvorsen Precision, saved from two demo projects (after their risks)."""

from __future__ import annotations

from twofold.accounts.models import Organisation, User
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
    for code, name, description in TEMPLATES:
        project = Project.objects.filter(organisation=organisation, code=code).first()
        if project is not None:
            services.save_as_template(
                actor=actor, project=project, name=name, description=description
            )
            made += 1
    return f"{made} project templates"
