"""Signed unsubscribe tokens: e-mail links that change a preference without signing in.

A token carries the person's id and the kind (``"*"`` for every kind: it sets the person's
master switch, ``services.stop_all_email``), signed with the site's
SECRET_KEY under its own salt, so it cannot be forged or reused for another person; a changed
or made-up token fails the signature check.
"""

from __future__ import annotations

from django.core import signing

from twofold.notifications.kinds import ALL_KINDS

SALT = "twofold.notifications.unsubscribe"
__all__ = ["ALL_KINDS", "BadToken", "make_unsubscribe_token", "read_unsubscribe_token"]


class BadToken(Exception):
    """The token was not made by this site (forged, truncated or for another key)."""


def make_unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": int(user_id), "k": kind}, salt=SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind) from ``token``; raises ``BadToken`` when it is not genuine."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise BadToken(str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise BadToken("malformed")
    kind = data.get("k")
    if not isinstance(kind, str):
        raise BadToken("malformed")
    return data["u"], kind
