"""Gunicorn's access log without secrets.

Gunicorn's default access log writes the Basic-auth user name (``%(u)s``), the whole request
line with its query string (``%(r)s``) and the referrer. A client that sends its API token as a
Basic-auth user name or as ``?token=…`` is refused with 401, but the token would still reach the
log in clear. This logger (``gunicorn --logger-class twofold.core.access_log.RedactingLogger``,
which ``twofold serve`` passes) never logs the Basic-auth user, replaces the values of query
parameters whose names say "secret" and anything shaped like a Twofold token, wherever it
appears in the request line or referrer, and never logs ``Authorization`` or ``Cookie`` headers.
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


def redact_uri(uri: str) -> str:
    """A request URI (path + query) with secrets replaced."""
    path, sep, query = uri.partition("?")
    return TOKEN_SHAPE.sub(REDACTED, path) + (sep + redact_query(query) if sep else "")


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
        atoms["U"] = TOKEN_SHAPE.sub(REDACTED, str(environ.get("PATH_INFO") or ""))
        atoms["f"] = redact_uri(str(environ.get("HTTP_REFERER", "-")))
        for name in list(atoms):
            if name.startswith("{") and name.endswith("}i"):
                if name[1:-2] in SECRET_HEADERS:
                    atoms[name] = REDACTED
                else:
                    atoms[name] = TOKEN_SHAPE.sub(REDACTED, str(atoms[name]))
        return atoms
