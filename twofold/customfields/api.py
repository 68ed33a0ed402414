"""API: custom field definitions (admins write) and values per project or task (members write)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE
from twofold.core.web import actor_of
from twofold.customfields import selectors, services
from twofold.customfields.models import FieldDefinition

router = Router(tags=["customfields"])

KindName = Literal["text", "number", "date", "choice"]
TargetName = Literal["project", "task"]


class DefinitionOut(Schema):
    id: int
    applies_to: TargetName
    name: str
    kind: KindName
    choices: list[str]
    required: bool
    order: int
    show_on_cards: bool
    version: int


class DefinitionIn(Schema):
    applies_to: TargetName
    name: StrictStr = Field(..., min_length=1, max_length=80)
    kind: KindName
    choices: list[StrictStr] = []
    required: StrictBool = False
    order: StrictInt = Field(0, ge=-1000, le=1000)
    show_on_cards: StrictBool = False


class DefinitionPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, min_length=1, max_length=80)
    choices: list[StrictStr] | None = None
    required: StrictBool | None = None
    order: StrictInt | None = Field(None, ge=-1000, le=1000)
    show_on_cards: StrictBool | None = None


class ValueOut(Schema):
    definition_id: int
    name: str
    kind: KindName
    value: str | float | None = Field(
        description="Text or choice as text, number as a number, date as YYYY-MM-DD, or null."
    )
    version: int = Field(description="0 when the field has no value yet.")


class ValueIn(Schema):
    definition_id: StrictInt
    value: StrictStr | StrictInt | StrictFloat | None = Field(
        description="Number fields take a number; date fields a YYYY-MM-DD string; null clears."
    )
    version: StrictInt = Field(..., ge=0, description="The version you read; 0 if unset.")


def _def(d: FieldDefinition) -> DefinitionOut:
    return DefinitionOut.model_validate(d, from_attributes=True)


def _values(target: object) -> list[ValueOut]:
    out = []
    for row in selectors.fields_for(target):  # type: ignore[arg-type]
        v = row.value.value if row.value else None
        plain: str | float | None
        if isinstance(v, Decimal):
            plain = float(v)
        elif isinstance(v, dt.date):
            plain = v.isoformat()
        else:
            plain = v
        out.append(
            ValueOut(
                definition_id=row.definition.pk,
                name=row.definition.name,
                kind=row.definition.kind,  # type: ignore[arg-type]
                value=plain,
                version=row.version,
            )
        )
    return out


@router.get("/organisations/{org_id}/fields", response={200: list[DefinitionOut], **READ})
def list_definitions(request: HttpRequest, org_id: int) -> list[DefinitionOut]:
    org = get_organisation(request.user, org_id)
    return [_def(d) for d in selectors.definitions_of(org)]


@router.post("/organisations/{org_id}/fields", response={201: DefinitionOut, **WRITE})
def create_definition(
    request: HttpRequest, org_id: int, payload: DefinitionIn
) -> Status[DefinitionOut]:
    org = get_organisation(request.user, org_id)
    d = services.create_definition(
        actor=actor_of(request), organisation=org, **payload.model_dump()
    )
    return Status(201, _def(d))


@router.get("/organisations/{org_id}/fields/{field_id}", response={200: DefinitionOut, **READ})
def get_definition(request: HttpRequest, org_id: int, field_id: int) -> DefinitionOut:
    org = get_organisation(request.user, org_id)
    return _def(selectors.get_definition(request.user, org, field_id))


@router.patch("/organisations/{org_id}/fields/{field_id}", response={200: DefinitionOut, **WRITE})
def patch_definition(
    request: HttpRequest, org_id: int, field_id: int, payload: DefinitionPatch
) -> DefinitionOut:
    org = get_organisation(request.user, org_id)
    d = selectors.get_definition(request.user, org, field_id)
    values = payload.model_dump(exclude_unset=True, exclude={"version"})
    services.update_definition(
        actor=actor_of(request), definition=d, expected_version=payload.version, **values
    )
    return _def(d)


@router.delete("/organisations/{org_id}/fields/{field_id}", response={204: None, **WRITE})
def delete_definition(
    request: HttpRequest, org_id: int, field_id: int, version: int | None = None
) -> Status[None]:
    """Delete the field and its values. ``version``: as you read it (409 if it changed since)."""
    org = get_organisation(request.user, org_id)
    d = selectors.get_definition(request.user, org, field_id)
    services.delete_definition(actor=actor_of(request), definition=d, expected_version=version)
    return Status(204, None)


@router.get(
    "/organisations/{org_id}/field-values/{kind}/{target_id}",
    response={200: list[ValueOut], **READ},
)
def get_values(
    request: HttpRequest, org_id: int, kind: TargetName, target_id: int
) -> list[ValueOut]:
    org = get_organisation(request.user, org_id)
    return _values(selectors.get_target(request.user, org, kind, target_id))


@router.post(
    "/organisations/{org_id}/field-values/{kind}/{target_id}",
    response={200: list[ValueOut], **WRITE},
)
def set_values(
    request: HttpRequest, org_id: int, kind: TargetName, target_id: int, payload: list[ValueIn]
) -> list[ValueOut]:
    """Set some fields at once; each carries the version you read (0 = unset). All or nothing."""
    org = get_organisation(request.user, org_id)
    target = selectors.get_target(request.user, org, kind, target_id)
    services.set_values(
        actor=actor_of(request),
        target=target,
        values={v.definition_id: v.value for v in payload},
        versions={v.definition_id: v.version for v in payload},
    )
    return _values(target)
