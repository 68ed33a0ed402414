"""The one permission policy: ``can(user, action, obj)``. Every service asks it.

Objects belong to an organisation (``obj.organisation_id``). A user's role in that organisation
decides what they may do; a user who is not a member cannot even see the object, and services
answer that with ``NotFound`` (404), never with a 403 that would confirm the object exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

from django.utils.functional import LazyObject, empty

from twofold.accounts.models import ROLE_RANK, Membership, Role
from twofold.core.errors import Forbidden, NotFound
from twofold.core.fastread import FastRead


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


# Membership.objects.filter(user_id=…).select_related("organisation")
# .order_by("organisation__name", "pk"), compiled once (every request reads it).
_MEMBERSHIPS = FastRead(
    Membership, "t.user_id = %s", order_by="r.name, t.id", related="organisation"
)


def _kept(user: Any) -> dict[str, Any]:
    """Where the request's memberships and roles are kept: on the user object itself, also
    when ``user`` is the request's lazy wrapper (``request.user``), so what the sign-in read
    kept on the user it built is found through the wrapper."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped.__dict__  # type: ignore[no-any-return]
    return user.__dict__  # type: ignore[no-any-return]


def memberships_of(user: Any) -> list[Membership]:
    """All of the user's memberships with their organisations, by organisation name.

    One query per request: the list is cached on the user object (a request's ``request.user``
    lives for that request only) and seeds :func:`role_in`'s cache, so the request's
    organisation, its membership and every permission check in it cost that one query.
    A membership created later in the same request is not in the list; ``role_in`` and
    ``accounts.selectors.get_organisation`` still find it (they query on a miss).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached: list[Membership] | None = _kept(user).get("_twofold_memberships")
    if cached is None:
        cached = _MEMBERSHIPS.all([user.pk])
        keep_memberships(user, cached)
    return cached


def keep_memberships(user: Any, memberships: list[Membership]) -> None:
    """Keep ``memberships`` (all of the user's, read as :func:`memberships_of` reads them) on
    the request's user object: the sign-in read that fetches them with the user calls this."""
    kept = _kept(user)
    kept["_twofold_memberships"] = memberships
    roles: dict[int, Role | None] = kept.setdefault("_twofold_roles", {})
    for membership in memberships:
        roles.setdefault(membership.organisation_id, Role(membership.role))


def role_in(user: Any, organisation_id: int) -> Role | None:
    """The user's role in the organisation, or None. Cached per request on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache: dict[int, Role | None] = _kept(user).setdefault("_twofold_roles", {})
    if organisation_id not in cache:
        role = (
            Membership.objects.filter(user_id=user.pk, organisation_id=organisation_id)
            .order_by()
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
    if (getattr(user, "pk", None), organisation_id_of(obj), action) in _GRANTS.get():
        return True
    return ROLE_RANK[role] >= ROLE_RANK[MIN_ROLE[action]]


def require(user: Any, action: Action, obj: Any) -> None:
    """Raise ``NotFound`` if the user cannot see ``obj``, ``Forbidden`` if they may see but not act."""
    if not can(user, Action.VIEW, obj):
        raise NotFound("Not found.")
    if not can(user, action, obj):
        raise Forbidden(f"Your role does not allow you to {action.value} this.")


# (user id, organisation id, action) granted for the duration of a ``granted`` block.
_GRANTS: ContextVar[frozenset[tuple[Any, int, Action]]] = ContextVar(
    "twofold_policy_grants", default=frozenset()
)


@contextmanager
def granted(user: Any, action: Action, organisation_id: int) -> Iterator[None]:
    """Inside the block ``user`` (still a member: non-members stay out) may do ``action`` in the
    organisation. Used where one decision carries the right to a bounded set of writes: the owner
    of a process accepting a handover gets its routines and KPIs created through the operations
    services (which ask for ``manage``), with history naming them as the actor."""
    token = _GRANTS.set(_GRANTS.get() | {(getattr(user, "pk", None), organisation_id, action)})
    try:
        yield
    finally:
        _GRANTS.reset(token)
