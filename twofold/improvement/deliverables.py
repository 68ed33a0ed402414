"""Organisation setting: the handover deliverables every new handover starts with.

An organisation without a saved list uses ``DEFAULT_DELIVERABLES``. The list editor and its
rules are shared with the gate checklists (``projects.checklists.clean_items``), with the
handover's own limit: at most ``MAX_DELIVERABLES`` (a proposal refuses more). The list may be
empty: new handovers then start with no checklist, and each proposal lists its own.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.accounts.models import Organisation, User
from twofold.core import history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid
from twofold.core.policy import Action, require
from twofold.improvement.models import DEFAULT_DELIVERABLES, DeliverableSetting
from twofold.projects.checklists import clean_items

# A handover's checklist has 1 to this many deliverables (``services.propose_handover``); the
# setting refuses more, so its list is always one a proposal takes.
MAX_DELIVERABLES = 30


def deliverables_setting(organisation: Organisation) -> DeliverableSetting:
    """The saved setting, or an unsaved one (version 0) carrying the defaults."""
    return DeliverableSetting.objects.filter(
        organisation=organisation
    ).first() or DeliverableSetting(
        organisation=organisation, items=list(DEFAULT_DELIVERABLES), version=0
    )


def default_deliverables(organisation_id: int) -> list[str]:
    """What a new handover's checklist starts with (1 query)."""
    items = (
        DeliverableSetting.objects.filter(organisation_id=organisation_id)
        .values_list("items", flat=True)
        .first()
    )
    return list(items) if items is not None else list(DEFAULT_DELIVERABLES)


@transaction.atomic
def save_deliverables(
    *, actor: User, organisation: Organisation, items: Any, expected_version: int | None = None
) -> DeliverableSetting:
    """Replace the organisation's handover deliverables (admins); existing handovers keep theirs."""
    require(actor, Action.MANAGE, organisation)
    clean = clean_items(items)
    if len(clean) > MAX_DELIVERABLES:
        raise Invalid(
            f"A handover checklist has at most {MAX_DELIVERABLES} deliverables.", field="items"
        )
    setting = (
        DeliverableSetting.objects.select_for_update().filter(organisation=organisation).first()
    )
    if setting is None:
        if expected_version not in (None, 0):
            raise Conflict("Someone else changed this list; reload and try again.")
        setting = DeliverableSetting.objects.create(organisation=organisation, items=clean)
        before = list(DEFAULT_DELIVERABLES)
    else:
        before = list(setting.items)
        setting.items = clean
        save_versioned(setting, expected_version=expected_version, fields=["items"])
    if before != clean:
        history.record(
            actor=actor,
            obj=organisation,
            action="handover deliverables",
            changes={"handover_deliverables": [before, clean]},
            summary="Changed the handover deliverables",
        )
    return setting
