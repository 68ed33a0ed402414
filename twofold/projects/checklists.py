"""Organisation settings for gate checklists: what new projects' gates ask for.

Each organisation has one list per gate (the gate out of initiation, planning and execution;
closure is the last phase, so no gate leads out of it). An organisation without a saved list
uses ``DEFAULT_GATE_ITEMS``. Handover deliverables are the same kind of list, owned by
``improvement`` (``improvement.settings``); both use :func:`clean_items`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.accounts.models import Organisation, User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid
from twofold.core.policy import Action, require
from twofold.projects.models import GateChecklistSetting, Phase

DEFAULT_GATE_ITEMS: dict[str, list[str]] = {
    Phase.INITIATION: ["Charter approved by the sponsor", "Stakeholders identified"],
    Phase.PLANNING: ["Schedule baselined", "Budget approved", "Risks assessed"],
    Phase.EXECUTION: ["All deliverables accepted", "Handover to operations signed"],
}
GATE_PHASES = [Phase.INITIATION, Phase.PLANNING, Phase.EXECUTION]
MAX_ITEMS = 40
MAX_TEXT = 200


def clean_items(items: Any, *, field: str = "items") -> list[str]:
    """A list of item texts, trimmed, without blanks; refused when too long or repeated."""
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Invalid("Send the items as a list of texts.", field=field)
    clean = [" ".join(i.split()) for i in items]
    clean = [i for i in clean if i]
    if len(clean) > MAX_ITEMS:
        raise Invalid(f"A checklist has at most {MAX_ITEMS} items.", field=field)
    for text in clean:
        if len(text) > MAX_TEXT:
            raise Invalid(
                f"“{text[:40]}…” is longer than {MAX_TEXT} characters; shorten it.", field=field
            )
    seen: set[str] = set()
    for text in clean:
        if text.casefold() in seen:
            raise Invalid(f"“{text}” is in the list twice.", field=field)
        seen.add(text.casefold())
    return clean


def gate_checklists(organisation: Organisation) -> dict[str, list[str]]:
    """The checklist of each gate, in phase order: the saved list, else the default (1 query)."""
    saved = dict(
        GateChecklistSetting.objects.filter(organisation=organisation).values_list("phase", "items")
    )
    return {
        phase.value: list(saved.get(phase.value, DEFAULT_GATE_ITEMS[phase]))
        for phase in GATE_PHASES
    }


def gate_settings(organisation: Organisation) -> list[GateChecklistSetting]:
    """One setting per gate (unsaved rows carry the defaults), for the settings page and API."""
    saved = {s.phase: s for s in GateChecklistSetting.objects.filter(organisation=organisation)}
    return [
        saved.get(phase)
        or GateChecklistSetting(
            organisation=organisation, phase=phase, items=list(DEFAULT_GATE_ITEMS[phase]), version=0
        )
        for phase in GATE_PHASES
    ]


@transaction.atomic
def save_gate_checklist(
    *,
    actor: User,
    organisation: Organisation,
    phase: str,
    items: Any,
    expected_version: int | None = None,
) -> GateChecklistSetting:
    """Replace the checklist of the gate out of ``phase`` (admins). Existing projects keep theirs.

    ``expected_version`` 0 means "the defaults, never saved": a stale value answers 409.
    """
    require(actor, Action.MANAGE, organisation)
    if phase not in GATE_PHASES:
        raise Invalid("Choose the gate out of initiation, planning or execution.", field="phase")
    clean = clean_items(items)
    setting = (
        GateChecklistSetting.objects.select_for_update()
        .filter(organisation=organisation, phase=phase)
        .first()
    )
    if setting is None:
        if expected_version not in (None, 0):
            raise Conflict("Someone else changed this checklist; reload and try again.")
        setting = GateChecklistSetting.objects.create(
            organisation=organisation, phase=phase, items=clean
        )
        before: list[str] = DEFAULT_GATE_ITEMS[Phase(phase)]
    else:
        before = list(setting.items)
        setting.items = clean
        save_versioned(setting, expected_version=expected_version, fields=["items"])
    if before != clean:
        history.record(
            actor=actor,
            obj=organisation,
            action="gate checklist",
            changes={f"gate_{phase}": [before, clean]},
            summary=f"Changed the {Phase(phase).label} gate checklist",
        )
    return setting
