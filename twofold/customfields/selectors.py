"""Reads for custom fields. Lists load in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from twofold.accounts.models import Organisation
from twofold.core.errors import NotFound
from twofold.core.fastread import FastPairs, Read
from twofold.core.policy import Action, can
from twofold.customfields.models import AppliesTo, FieldDefinition, FieldValue, Kind
from twofold.projects.models import Project, Task


def definitions_of(
    organisation: Organisation | int, applies_to: str | None = None
) -> QuerySet[FieldDefinition]:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    qs = FieldDefinition.objects.filter(organisation_id=org_id)
    if applies_to:
        qs = qs.filter(applies_to=applies_to)
    return qs


def get_definition(user: Any, organisation: Organisation, definition_id: int) -> FieldDefinition:
    definition = FieldDefinition.objects.filter(
        pk=definition_id, organisation_id=organisation.pk
    ).first()
    if definition is None or not can(user, Action.VIEW, definition):
        raise NotFound("Field not found.")
    return definition


def get_target(user: Any, organisation: Organisation, kind: str, target_id: int) -> Project | Task:
    """The project or task if ``user`` may see it, else ``NotFound``."""
    target: Project | Task | None
    if kind == AppliesTo.PROJECT:
        target = Project.objects.filter(pk=target_id, organisation_id=organisation.pk).first()
    elif kind == AppliesTo.TASK:
        target = (
            Task.objects.filter(pk=target_id, organisation_id=organisation.pk)
            .select_related("project")
            .first()
        )
    else:
        target = None
    if target is None or not can(user, Action.VIEW, target):
        raise NotFound("Not found.")
    return target


def kind_of(target: Project | Task) -> str:
    return AppliesTo.PROJECT if isinstance(target, Project) else AppliesTo.TASK


@dataclass
class Row:
    """One field of one target, for showing and editing."""

    definition: FieldDefinition
    value: FieldValue | None

    @property
    def display(self) -> str:
        return self.value.display if self.value else ""

    @property
    def version(self) -> int:
        return self.value.version if self.value else 0

    @property
    def raw(self) -> str:
        """The value as an input shows it (dates ISO, numbers plain)."""
        if self.value is None or self.value.value is None:
            return ""
        v = self.value.value
        return v.isoformat() if hasattr(v, "isoformat") else self.value.display


def fields_for(target: Project | Task) -> list[Row]:
    """Every field of the target's kind with its value (one query)."""
    return [Row(d, v) for d, v in _FIELDS_OF.pairs(fields_read(target)[1])]


def fields_read(target: Project | Task) -> Read:
    """:func:`fields_for`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    kind = kind_of(target)
    return _FIELDS_OF, [kind, target.pk, target.organisation_id, kind]


# definitions_of(organisation, kind), each with the target's value (at most one per definition
# and target: the unique constraint), compiled once (core/fastread.py): every task and project
# page shows the panel.
_FIELDS_OF = FastPairs(
    FieldDefinition,
    FieldValue,
    "definition",
    on="o.definition_id = t.id AND o.target_kind = %s AND o.target_id = %s",
    where="t.organisation_id = %s AND t.applies_to = %s",
    order_by='t.applies_to, t."order", t.name',
)


def card_values(kind: str, target_ids: Iterable[int]) -> dict[int, list[FieldValue]]:
    """Values of the fields shown on cards, by target id, in ONE query (definition order)."""
    ids = list(target_ids)
    out: dict[int, list[FieldValue]] = defaultdict(list)
    if not ids:
        return out
    rows = (
        FieldValue.objects.filter(
            target_kind=kind, target_id__in=ids, definition__show_on_cards=True
        )
        .select_related("definition")
        .order_by("definition__order", "definition__name")
    )
    for v in rows:
        if v.value is not None:
            out[v.target_id].append(v)
    return out


@dataclass(frozen=True)
class ChoiceFilter:
    """A choice field on projects offered as a portfolio filter, with the value chosen (or "")."""

    definition_id: int
    name: str
    choices: tuple[str, ...]
    chosen: str

    @property
    def param(self) -> str:
        return f"cf{self.definition_id}"


def project_choice_filters(
    organisation: Organisation, params: Mapping[str, str]
) -> list[ChoiceFilter]:
    """The organisation's choice fields on projects, with what ``params`` (``cf<id>=value``) picks."""
    return [
        ChoiceFilter(d.pk, d.name, tuple(d.choices), params.get(f"cf{d.pk}", ""))
        for d in definitions_of(organisation, AppliesTo.PROJECT)
        .filter(kind=Kind.CHOICE)
        .order_by("order", "name")
    ]


def projects_matching(filters: Iterable[ChoiceFilter]) -> set[int] | None:
    """Ids of projects whose values match every chosen filter; None when nothing is chosen."""
    chosen = [f for f in filters if f.chosen]
    if not chosen:
        return None
    ids: set[int] | None = None
    for f in chosen:
        matching = set(
            FieldValue.objects.filter(
                definition_id=f.definition_id, target_kind=AppliesTo.PROJECT, text_value=f.chosen
            ).values_list("target_id", flat=True)
        )
        ids = matching if ids is None else ids & matching
    return ids or set()
