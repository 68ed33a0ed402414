"""Demo custom fields for Halvorsen Precision: who each project is for, and its cost centre.

The fields were added a few weeks before the oldest project was created; each project's values
were filled in with its charter (their history says so, not "today")."""

from __future__ import annotations

import datetime as dt

from twofold.accounts.models import Organisation, User
from twofold.customfields import services
from twofold.customfields.models import FieldDefinition
from twofold.demo.backdate import at_local, happened, workday
from twofold.projects.models import Project

PROJECT_VALUES = {
    "OPX-03": ("Aker Solutions", "CC-410 Machining", "2"),
    "OPX-05": ("Internal", "CC-420 Assembly", "1"),
    "QMS-26": ("Kongsberg Maritime", "CC-300 Quality", "3"),
    "DIG-02": ("Internal", "CC-500 IT", "1"),
    "OPX-08": ("Volvo Penta", "CC-410 Machining", "2"),
    "DIG-01": ("Internal", "CC-500 IT", "2"),
}


def load(organisation: Organisation, people: dict[str, User]) -> str:
    actor = people.get("Dana Whitfield") or next(iter(people.values()))
    projects = list(
        Project.objects.filter(organisation=organisation, code__in=list(PROJECT_VALUES))
    )
    first = min((p.created_at for p in projects), default=None)
    added = at_local(
        organisation,
        workday((first.date() if first else dt.date.today()) - dt.timedelta(days=20)),
        14,
    )
    with happened(organisation, added):
        customer, centre, tier = _definitions(organisation, actor)
    for project in projects:
        who, cc, capex = PROJECT_VALUES[project.code]
        with happened(organisation, project.created_at + dt.timedelta(minutes=5)):
            services.set_values(
                actor=actor,
                target=project,
                values={customer.pk: who, centre.pk: cc, tier.pk: capex},
            )
    return f"{len(projects)} projects with custom fields"


def _definitions(
    organisation: Organisation, actor: User
) -> tuple[FieldDefinition, FieldDefinition, FieldDefinition]:
    customer = services.create_definition(
        actor=actor, organisation=organisation, name="Customer", applies_to="project",
        kind="text", show_on_cards=True, order=1,
    )  # fmt: skip
    centre = services.create_definition(
        actor=actor, organisation=organisation, name="Cost centre", applies_to="project",
        kind="choice", choices=["CC-300 Quality", "CC-410 Machining", "CC-420 Assembly",
                                "CC-500 IT"], show_on_cards=True, order=2,
    )  # fmt: skip
    tier = services.create_definition(
        actor=actor, organisation=organisation, name="Capex tier", applies_to="project",
        kind="number", order=3,
    )  # fmt: skip
    services.create_definition(
        actor=actor, organisation=organisation, name="Part family", applies_to="task",
        kind="choice", choices=["Shafts", "Housings", "Flanges", "Brackets"], order=1,
    )  # fmt: skip
    services.create_definition(
        actor=actor, organisation=organisation, name="Customer PO due", applies_to="task",
        kind="date", order=2,
    )  # fmt: skip
    return customer, centre, tier
