"""The access log never holds a secret (a token sent the wrong way is still a secret)."""

from __future__ import annotations

import base64
import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from twofold.core.access_log import RedactingLogger, redact_query

TOKEN = "tf_0a1b2c3d_S3cr3t-value_xyz"


def _line(uri: str, headers: list[tuple[str, str]], referer: str = "-") -> str:
    logger = RedactingLogger(Config())
    path, _, query = uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "curl/8",
    }
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers})
    resp = SimpleNamespace(status="401 Unauthorized", sent=12, headers=[])
    req = SimpleNamespace(headers=headers)
    atoms = logger.atoms(resp, req, environ, dt.timedelta(milliseconds=3))
    fmt = logger.cfg.access_log_format + " %({authorization}i)s %({x-token}i)s"
    return fmt % logger.atoms_wrapper_class(atoms)


def test_a_token_as_basic_auth_user_name_is_not_logged() -> None:
    basic = base64.b64encode(f"{TOKEN}:".encode()).decode()
    line = _line("/api/me", [("authorization", f"Basic {basic}")])
    assert TOKEN not in line and basic not in line
    assert line.startswith("127.0.0.1 - - [")
    assert '"GET /api/me HTTP/1.1" 401 12' in line


def test_a_token_in_the_query_string_or_referer_is_not_logged() -> None:
    line = _line(
        f"/api/me?access_token={TOKEN}&page=2&t={TOKEN}",
        [("x-token", TOKEN)],
        referer=f"https://example.com/feed/{TOKEN}.ics",
    )
    assert TOKEN not in line
    assert '"GET /api/me?access_token=[redacted]&page=2&t=[redacted] HTTP/1.1"' in line
    assert '"https://example.com/feed/[redacted].ics"' in line


def test_ordinary_query_values_stay_readable() -> None:
    assert redact_query("q=pump+seal&kind=task") == "q=pump+seal&kind=task"
    assert redact_query("password=hunter2&next=%2Fprojects%2F") == (
        "password=[redacted]&next=%2Fprojects%2F"
    )
