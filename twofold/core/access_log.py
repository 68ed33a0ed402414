"""Gunicorn's access log without secrets.

Gunicorn's default access log writes the Basic-auth user name (``%(u)s``), the whole request
line with its query string (``%(r)s``) and the referrer. A client that sends its API token as a
Basic-auth user name or as ``?token=…`` is refused with 401, but the token would still reach the
log in clear. This logger (``gunicorn --logger-class twofold.core.access_log.RedactingLogger``,
which ``twofold serve`` passes) never logs the Basic-auth user, replaces the values of query
parameters whose names say "secret", anything shaped like a Twofold token and the secret part of
the paths whose secret is the whole credential (:data:`SECRET_PATHS`: calendar and activity
feeds, unsubscribe links, password-reset and sign-up links), wherever it appears in the request
line, the path or the referrer, and never logs ``Authorization`` or ``Cookie`` headers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
SECRET_NAMES = re.compile(
    r"(token|secret|password|passwd|pwd|key|auth|signature|sig|session|code)", re.IGNORECASE
)
# tf_<8 hex>_<secret>: the shape of a personal API token (accounts.auth.new_token).
TOKEN_SHAPE = re.compile(r"tf_[0-9a-fA-F]{4,}_[A-Za-z0-9_\-]+")
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-csrftoken"}
_SEGMENT = r"[^/?#\s\"]+"
SECRET_PATHS = (
    # interchange:feed  feeds/<secret>.ics (any segment but feeds/<id>/revoke/'s number)
    re.compile(rf"(/feeds/)(?!\d+/)({_SEGMENT}?)(?=(?:\.ics)?(?:[/?#\s\"]|$))"),
    # activity:atom  activity/<activity_secret>.atom
    re.compile(rf"(/activity/)({_SEGMENT}?)(?=\.atom(?:[/?#\s\"]|$))"),
    # notifications:unsubscribe  unsubscribe/<token>/ (also RFC 8058's one-click POST)
    re.compile(rf"(/unsubscribe/)({_SEGMENT})"),
    # accounts:password_reset_confirm  password/reset/<uidb64>/<token>/ (Django's own
    # "set-password" placeholder, which replaces the token after the first visit, is kept)
    re.compile(rf"(/password/reset/{_SEGMENT}/)(?!set-password(?:[/?#\s\"]|$))({_SEGMENT})"),
    # accounts:signup_verify  sign-up/confirm/<uidb64>/<token>/
    re.compile(rf"(/sign-up/confirm/{_SEGMENT}/)({_SEGMENT})"),
)
"""Paths whose part is a secret (the route's ``secret``/``token`` argument): that part is
redacted, the route stays readable. A new route with a secret in its path belongs here
(``tests/interchange/test_review_fixes_2026_12_06c.py`` checks every route's ``secret`` and
``token`` arguments)."""


def redact_query(query: str) -> str:
    """The query string with secret-looking values replaced (names kept, order kept)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    clean = [
        (name, REDACTED if SECRET_NAMES.search(name) or TOKEN_SHAPE.search(value) else value)
        for name, value in pairs
    ]
    return TOKEN_SHAPE.sub(REDACTED, urlencode(clean, safe="[]"))


def redact_path(path: str) -> str:
    """A path (or a text holding one: a full URL, a header) with token-shaped values and the
    secret parts of :data:`SECRET_PATHS` replaced."""
    for pattern in SECRET_PATHS:
        path = pattern.sub(lambda m: m.group(1) + REDACTED, path)
    return TOKEN_SHAPE.sub(REDACTED, path)


def redact_uri(uri: str) -> str:
    """A request URI (path + query, or a whole URL) with secrets replaced."""
    path, sep, query = uri.partition("?")
    return redact_path(path) + (sep + redact_query(query) if sep else "")


class RedactingLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with the access-log atoms cleaned of secrets (see the module doc)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        atoms["r"] = "{} {} {}".format(
            environ.get("REQUEST_METHOD", "-"),
            redact_uri(str(environ.get("RAW_URI", ""))),
            environ.get("SERVER_PROTOCOL", "-"),
        )
        atoms["q"] = redact_query(str(environ.get("QUERY_STRING") or ""))
        atoms["U"] = redact_path(str(environ.get("PATH_INFO") or ""))
        atoms["f"] = redact_uri(str(environ.get("HTTP_REFERER", "-")))
        for name in list(atoms):
            if name.startswith("{") and name.endswith("}i"):
                if name[1:-2] in SECRET_HEADERS:
                    atoms[name] = REDACTED
                else:
                    atoms[name] = redact_path(str(atoms[name]))
        return atoms
