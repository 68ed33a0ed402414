"""Loads the whole demo story; each bounded context adds its part here."""

from __future__ import annotations

from twofold.attachments import demo as attachments_demo
from twofold.calendars import demo as calendars_demo
from twofold.capacity import demo as capacity_demo
from twofold.customfields import demo as customfields_demo
from twofold.demo.people import load_people
from twofold.improvement import demo as improvement_demo
from twofold.operations import demo as operations_demo
from twofold.project_templates import demo as templates_demo
from twofold.projects import demo as projects_demo
from twofold.risks import demo as risks_demo
from twofold.search.index import reindex


def load_demo() -> str:
    org, _user = load_people()
    people = {m.user.full_name: m.user for m in org.memberships.select_related("user")}
    parts = [f"{org.name} with {len(people)} people in {org.teams.count()} teams"]
    loaders = (
        calendars_demo.load,  # first: the projects schedule on the default calendar
        projects_demo.load,
        customfields_demo.load,
        attachments_demo.load,
        operations_demo.load,
        capacity_demo.load,
        risks_demo.load,
        improvement_demo.load,
        templates_demo.load,
    )
    for loader in loaders:
        summary = loader(org, people)
        if summary:
            parts.append(summary)
    parts.append(f"{reindex(org.pk)} search documents")
    return "; ".join(parts)
