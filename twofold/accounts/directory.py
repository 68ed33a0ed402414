"""The directory stamp: one value that changes whenever an organisation's people do.

Every page with a people select (the task page's assignee, a project's manager and sponsor…)
lists the organisation's members by name: 200 rows joined and sorted on every view, the most
expensive read of the task page on PostgreSQL. Between two changes of the memberships or of
people's names and e-mail addresses the list is the same, so :func:`rows` keeps it per process
under this :class:`~twofold.core.stamps.Stamp` (triggers; how a reader stays right).

The stamp costs no query of its own: the sign-in read (``accounts.auth``) reads it with the
user's memberships and leaves it on each membership's organisation (:data:`ATTR`). A request
that may write (not ``GET``/``HEAD``) drops it (``core.middleware``), so a page answered after
a change in the same request reads the list again; so does any organisation object read another
way (the API's token sign-in): without the attribute nothing is cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from twofold.core.stamps import Stamp

T = TypeVar("T")

ATTR = "_twofold_directory_stamp"

STAMP = Stamp(
    "accounts.DirectoryStamp",
    "directory_stamp_",
    (("accounts", "User", ("full_name", "email")), ("accounts", "Membership", None)),
    cache_size=256,
)


def keep(organisation: Any, stamp: int | None) -> None:
    """Leave the stamp read with the request's memberships on their organisation."""
    if stamp is not None:
        organisation.__dict__[ATTR] = int(stamp)


def forget(organisation: Any) -> None:
    """The request may write: its organisation's people are read again when shown."""
    organisation.__dict__.pop(ATTR, None)


def rows(organisation: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` (rows read from the people of ``organisation``), or what it gave for
    ``key`` in this organisation under the stamp the request read; not kept without one."""
    stamp = organisation.__dict__.get(ATTR)
    if stamp is None:
        return compute()
    return STAMP.cached_at(stamp, (organisation.pk, key), compute)
