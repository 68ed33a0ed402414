"""Writes for custom fields. Each: check permission, one transaction, history, versions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from twofold.accounts.models import Organisation, User
from twofold.core import history
from twofold.core.concurrency import delete_versioned, save_versioned
from twofold.core.errors import Conflict, Invalid
from twofold.core.policy import Action, require
from twofold.customfields.models import AppliesTo, FieldDefinition, FieldValue, Kind
from twofold.customfields.selectors import kind_of
from twofold.projects.models import Project, Task

DEFINITION_FIELDS = ["name", "choices", "required", "order", "show_on_cards"]
MAX_TEXT = 2000
MAX_CHOICES = 50
DATE_MIN, DATE_MAX = dt.date(1980, 1, 1), dt.date(2149, 12, 31)
NUMBER_LIMIT = Decimal("1e13")
# A number with thousands separators: groups of three digits after the first (1,250 or
# -12,500.75). Any other comma is refused, not dropped ("1,5" was stored as 15).
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _clean_choices(kind: str, choices: Any) -> list[str]:
    if kind != Kind.CHOICE:
        if choices:
            raise Invalid("Only a choice field has options.", field="choices")
        return []
    if not isinstance(choices, list | tuple):
        raise Invalid("Give the options as a list.", field="choices")
    cleaned: list[str] = []
    for c in choices:
        text = str(c).strip()
        if not text:
            continue
        if len(text) > 80:
            raise Invalid("An option has at most 80 characters.", field="choices")
        if text.lower() in {x.lower() for x in cleaned}:
            raise Invalid(f"The option {text} is listed twice.", field="choices")
        cleaned.append(text)
    if not cleaned:
        raise Invalid("A choice field needs at least one option.", field="choices")
    if len(cleaned) > MAX_CHOICES:
        raise Invalid(f"A choice field has at most {MAX_CHOICES} options.", field="choices")
    return cleaned


def _clean_name(organisation_id: int, applies_to: str, name: Any, pk: int | None) -> str:
    if name is None or not str(name).strip():
        raise Invalid("A field needs a name.", field="name")
    cleaned = str(name).strip()
    if len(cleaned) > 80:
        raise Invalid("A field name has at most 80 characters.", field="name")
    clash = FieldDefinition.objects.filter(
        organisation_id=organisation_id, applies_to=applies_to, name__iexact=cleaned
    )
    if pk is not None:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        raise Invalid(f"There is already a field called {cleaned}.", field="name")
    return cleaned


@transaction.atomic
def create_definition(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    applies_to: str,
    kind: str,
    choices: list[str] | None = None,
    required: bool = False,
    order: int = 0,
    show_on_cards: bool = False,
) -> FieldDefinition:
    require(actor, Action.MANAGE, organisation)
    if applies_to not in AppliesTo.values:
        raise Invalid("A field applies to projects or tasks.", field="applies_to")
    if kind not in Kind.values:
        raise Invalid("The kind is text, number, date or choice.", field="kind")
    definition = FieldDefinition.objects.create(
        organisation=organisation,
        applies_to=applies_to,
        kind=kind,
        name=_clean_name(organisation.pk, applies_to, name, None),
        choices=_clean_choices(kind, choices or []),
        required=bool(required),
        order=int(order),
        show_on_cards=bool(show_on_cards),
    )
    history.record(
        actor=actor,
        obj=definition,
        action="created",
        summary=f"Added the {definition.get_kind_display().lower()} field {definition.name}",
    )
    return definition


@transaction.atomic
def update_definition(
    *, actor: User, definition: FieldDefinition, expected_version: int | None, **values: Any
) -> FieldDefinition:
    """Rename, reorder, change options or flags. The kind and what it applies to are fixed."""
    require(actor, Action.MANAGE, definition)
    unknown = set(values) - set(DEFINITION_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise Invalid(f"{field} cannot be changed.", field=field)
    for key, value in values.items():
        if value is None:
            raise Invalid(f"{key} cannot be null; leave it out to keep its value.", field=key)
    if "name" in values:
        values["name"] = _clean_name(
            definition.organisation_id, definition.applies_to, values["name"], definition.pk
        )
    if "choices" in values:
        values["choices"] = _clean_choices(definition.kind, values["choices"])
        dropped = set(definition.choices) - set(values["choices"])
        if dropped and definition.values.filter(text_value__in=dropped).exists():
            raise Invalid(
                "An option still in use cannot be removed: "
                + ", ".join(
                    sorted(
                        definition.values.filter(text_value__in=dropped)
                        .values_list("text_value", flat=True)
                        .distinct()
                    )
                ),
                field="choices",
            )
    before = history.snapshot(definition, values)
    for key, value in values.items():
        setattr(definition, key, value)
    save_versioned(definition, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(definition, values))
    if changes:
        history.record(actor=actor, obj=definition, action="updated", changes=changes)
    return definition


@transaction.atomic
def delete_definition(
    *, actor: User, definition: FieldDefinition, expected_version: int | None = None
) -> None:
    """Delete the field and every value of it. ``expected_version``: as read; a field renamed or
    changed since (someone may have put it to a new use) is a Conflict, nothing deleted."""
    require(actor, Action.MANAGE, definition)
    history.record(
        actor=actor,
        obj=definition,
        action="deleted",
        summary=f"Deleted the field {definition.name} and its values",
    )
    delete_versioned(
        definition, expected_version=expected_version, what=f"the field {definition.name}"
    )


def parse_value(definition: FieldDefinition, raw: Any) -> str | Decimal | dt.date | None:
    """The typed value of ``raw`` for the field's kind; ``None`` for empty. Bad input: Invalid."""
    field = f"field_{definition.pk}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if definition.required:
            raise Invalid(f"{definition.name} needs a value.", field=field)
        return None
    if definition.kind == Kind.NUMBER:
        if isinstance(raw, bool):
            raise Invalid(f"{definition.name} must be a number.", field=field)
        text = str(raw).strip()
        if "," in text:
            if not THOUSANDS.fullmatch(text):
                raise Invalid(
                    f"{definition.name}: use a point for decimals, e.g. 1.5 (a comma only "
                    "separates thousands, as in 1,250).",
                    field=field,
                )
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Invalid(f"{definition.name} must be a number, e.g. 12.5.", field=field) from None
        if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
            raise Invalid(f"{definition.name} must be a number below 10¹³.", field=field)
        return number.quantize(Decimal("0.0001"))
    if definition.kind == Kind.DATE:
        if isinstance(raw, dt.date):
            day = raw
        else:
            try:
                day = dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                raise Invalid(
                    f"{definition.name} must be a date like 2026-03-31.", field=field
                ) from None
        if not DATE_MIN <= day <= DATE_MAX:
            raise Invalid("Choose a date between 1 Jan 1980 and 31 Dec 2149.", field=field)
        return day
    if not isinstance(raw, str):
        raise Invalid(f"{definition.name} must be text.", field=field)
    text = raw.strip()
    if definition.kind == Kind.CHOICE:
        if text not in definition.choices:
            raise Invalid(
                f"{definition.name} must be one of: {', '.join(definition.choices)}.", field=field
            )
        return text
    if len(text) > MAX_TEXT:
        raise Invalid(f"{definition.name} has at most {MAX_TEXT} characters.", field=field)
    return text


def _apply(value: FieldValue, definition: FieldDefinition, typed: Any) -> None:
    value.text_value = typed if definition.kind in (Kind.TEXT, Kind.CHOICE) else ""
    value.number_value = typed if definition.kind == Kind.NUMBER else None
    value.date_value = typed if definition.kind == Kind.DATE else None


@transaction.atomic
def set_values(
    *,
    actor: User,
    target: Project | Task,
    values: dict[int, Any],
    versions: dict[int, int | None] | None = None,
) -> list[FieldValue]:
    """Set fields of a project or task: ``values`` maps definition ids to raw input.

    ``versions`` maps definition ids to the value's version the caller read (0 = no value yet);
    a stale one raises Conflict and nothing is written. Empty input clears a value.
    """
    require(actor, Action.EDIT, target)
    kind = kind_of(target)
    versions = versions or {}
    definitions = {
        d.pk: d
        for d in FieldDefinition.objects.filter(
            organisation_id=target.organisation_id, applies_to=kind, pk__in=list(values)
        )
    }
    for def_id in values:
        if def_id not in definitions:
            raise Invalid(f"Unknown field {def_id}.", field=f"field_{def_id}")
    typed = {def_id: parse_value(definitions[def_id], raw) for def_id, raw in values.items()}
    existing = {
        v.definition_id: v
        for v in FieldValue.objects.select_for_update().filter(
            target_kind=kind, target_id=target.pk, definition_id__in=list(values)
        )
    }
    changes: dict[str, list[Any]] = {}
    saved: list[FieldValue] = []
    for def_id, new in typed.items():
        definition = definitions[def_id]
        expected = versions.get(def_id)
        current = existing.get(def_id)
        old_display = current.display if current else ""
        if current is None:
            if expected not in (None, 0):
                raise Conflict(
                    f"{definition.name} was cleared since you opened this. Reload and try again."
                )
            if new is None:
                continue
            current = FieldValue(
                organisation_id=target.organisation_id,
                definition=definition,
                target_kind=kind,
                target_id=target.pk,
            )
            _apply(current, definition, new)
            current.save()
        else:
            if expected == 0:
                raise Conflict(
                    f"Someone set {definition.name} since you opened this. Reload and try again."
                )
            current.definition = definition
            if new is None:
                if expected is not None and current.version != expected:
                    raise Conflict(
                        f"Someone changed {definition.name} since you opened this. "
                        "Reload and try again."
                    )
                current.delete()
                changes[definition.name] = [old_display, ""]
                continue
            before = (current.text_value, current.number_value, current.date_value)
            _apply(current, definition, new)
            if before == (current.text_value, current.number_value, current.date_value):
                if expected is not None and current.version != expected:
                    raise Conflict(
                        f"Someone changed {definition.name} since you opened this. "
                        "Reload and try again."
                    )
                saved.append(current)
                continue
            save_versioned(
                current,
                expected_version=expected,
                fields=["text_value", "number_value", "date_value"],
            )
        saved.append(current)
        if current.display != old_display:
            changes[definition.name] = [old_display, current.display]
    if changes:
        history.record(
            actor=actor,
            obj=target,
            action="fields updated",
            changes=changes,
            summary="Changed " + ", ".join(changes),
        )
    return saved
