"""The one permission policy: ``can(user, action, obj)``. Every service asks it.

Objects belong to an organisation (``obj.organisation_id``). A user's role in that organisation
decides what they may do; a user who is not a member cannot even see the object, and services
answer that with ``NotFound`` (404), never with a 403 that would confirm the object exists.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from twofold.accounts.models import ROLE_RANK, Membership, Role
from twofold.core.errors import Forbidden, NotFound


class Action(StrEnum):
    VIEW = "view"  # read the object
    CONTRIBUTE = "contribute"  # comment, record evidence, log time
    EDIT = "edit"  # change work: tasks, requests, measurements
    MANAGE = "manage"  # structure: projects, processes, teams, members, settings
    OWN = "own"  # owners only: roles of other admins/owners, deleting the organisation


MIN_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.GUEST,
    Action.CONTRIBUTE: Role.MEMBER,
    Action.EDIT: Role.MEMBER,
    Action.MANAGE: Role.ADMIN,
    Action.OWN: Role.OWNER,
}


def role_in(user: Any, organisation_id: int) -> Role | None:
    """The user's role in the organisation, or None. Cached per request on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache: dict[int, Role | None] = user.__dict__.setdefault("_twofold_roles", {})
    if organisation_id not in cache:
        role = (
            Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id)
            .values_list("role", flat=True)
            .first()
        )
        cache[organisation_id] = Role(role) if role else None
    return cache[organisation_id]


def organisation_id_of(obj: Any) -> int:
    """The organisation an object belongs to (an Organisation is its own)."""
    from twofold.accounts.models import Organisation

    if isinstance(obj, Organisation):
        return int(obj.pk)
    return int(obj.organisation_id)


def can(user: Any, action: Action, obj: Any) -> bool:
    """True when ``user`` may do ``action`` to ``obj``."""
    role = role_in(user, organisation_id_of(obj))
    if role is None:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[MIN_ROLE[action]]


def require(user: Any, action: Action, obj: Any) -> None:
    """Raise ``NotFound`` if the user cannot see ``obj``, ``Forbidden`` if they may see but not act."""
    if not can(user, Action.VIEW, obj):
        raise NotFound("Not found.")
    if not can(user, action, obj):
        raise Forbidden(f"Your role does not allow you to {action.value} this.")
