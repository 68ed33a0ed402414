"""API for one's own API tokens: list, create (the secret shown once), revoke.

The same services and rules as Settings → API tokens: a token is its person's (anyone else's
answers 404), it always expires (1 to 366 days, as the page's choices), and only a hash of the
secret is stored, so the secret is in the creating answer and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StrictStr

from twofold.accounts import selectors, services
from twofold.accounts.models import ApiToken
from twofold.accounts.services import MAX_TOKEN_DAYS
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Forbidden
from twofold.core.web import actor_of

router = Router(tags=["accounts"])


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool


class ApiTokenCreatedOut(ApiTokenOut):
    secret: str = Field(
        ..., description="The whole token (`tf_<prefix>_<secret>`): shown this once, never again."
    )


class ApiTokenIn(BodyIn):
    name: Annotated[StrictStr, Field(min_length=1, max_length=80)]
    expires_in_days: Annotated[StrictInt, Field(ge=1, le=MAX_TOKEN_DAYS)]


def _token_out(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.is_active(),
    }


@router.get("/me/tokens", response={200: list[ApiTokenOut], **READ})
def list_tokens(request: HttpRequest) -> list[dict[str, object]]:
    """Your tokens, newest first, revoked and expired ones too (``active`` says which work)."""
    return [_token_out(t) for t in selectors.tokens_of(request.user)]


@router.post("/me/tokens", response={201: ApiTokenCreatedOut, **WRITE})
def create_token(request: HttpRequest, payload: ApiTokenIn) -> Status[dict[str, object]]:
    """Create a token: from a signed-in session only (the page, or the API with its cookie)."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        # A token that can make tokens outlives its own revocation once it leaks.
        raise Forbidden(
            "API tokens are created from a signed-in session (Settings → API tokens), not with "
            "another token."
        )
    token, secret = services.create_api_token(
        actor=actor_of(request), name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**_token_out(token), "secret": secret})


@router.delete("/me/tokens/{token_id}", response={204: None, **WRITE})
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke one of your tokens: clients using it get 401 from now on."""
    token = selectors.get_token(request.user, token_id)
    services.revoke_api_token(actor=actor_of(request), token=token)
    return Status(204, None)
