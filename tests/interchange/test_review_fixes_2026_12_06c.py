"""Review fixes (2026-12-06c): CSV quotes, the outbound deadline, blank IDs, feed secrets in logs.

1. A CSV is read with the double quote as its only quote character (as Excel writes it): a name
   with words in apostrophes and an export's formula guard (``'-1 day buffer``) made
   ``csv.Sniffer`` take the apostrophe for the quote character and merge rows.
2. ``outbound.send`` keeps its overall deadline on every read, the status line and headers
   included: a receiver dripping its answer a byte at a time held the worker far past it.
3. With an ID column mapped, a row with a blank ID cell has no ID: a predecessor naming an ID no
   row has is refused, not linked to the row at that place in the list.
4. The access log redacts the secret of every path that carries one (calendar and activity
   feeds, unsubscribe, password reset, sign-up confirmation).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from gunicorn.config import Config

from twofold.core import outbound
from twofold.core.access_log import RedactingLogger, redact_uri
from twofold.interchange import exports, sheet_import
from twofold.interop import sheet_tasks as st
from twofold.interop.spreadsheet import csv_text
from twofold.projects import services as projects

# --- 1. CSV quotes --------------------------------------------------------------------------

NAMES = ["Review 'Phase 1' scope", "-1 day buffer", "=1+1", "Build"]


def test_task_csv_export_imports_back_with_every_task(org: Any, owner: Any) -> None:
    project = projects.create_project(
        actor=owner, organisation=org, name="RT", code="RT", target_start=dt.date(2026, 3, 2)
    )
    made = []
    for name in NAMES:
        task, _ = projects.create_task(
            actor=owner, project=project, name=name, duration_minutes=480
        )
        made.append(task)
    projects.add_link(actor=owner, project=project, pred=made[1], succ=made[3])
    _title, header, rows = exports.task_sheet(org, project.pk)
    data = csv_text(header, list(rows)).encode()
    assert b"'-1 day buffer" in data and b"'=1+1" in data  # the export's formula guard
    upload = sheet_import.upload_sheet(actor=owner, organisation=org, file_name="rt.csv", data=data)
    checked = sheet_import.check_upload(upload, upload.mapping)
    assert checked.errors == []
    assert [t.name for t in checked.tasks] == NAMES
    assert [t.links for t in checked.tasks] == [[], [], [], [(1, "FS", 0, "d")]]


def test_apostrophes_are_text_in_every_delimiter() -> None:
    for sep in (",", ";", "\t"):
        data = sep.join(["Task", "Duration", "Notes"]) + "\n"
        data += sep.join(["Review 'Phase 1' scope", "2", "'a'"]) + "\n"
        data += sep.join(["'-1 day buffer", "1", ""]) + "\n"
        data += sep.join(['"Build, test; ship"', "3", "x"]) + "\n"
        table = st.read_table(data.encode())
        assert table.header == ["Task", "Duration", "Notes"], sep
        assert table.rows == [
            ["Review 'Phase 1' scope", "2", "'a'"],
            ["'-1 day buffer", "1"],
            ["Build, test; ship", "3", "x"],
        ], sep
        parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
        assert [(t.name, t.duration_minutes) for t in parsed.tasks] == [
            ("Review 'Phase 1' scope", 960),
            ("-1 day buffer", 480),
            ("Build, test; ship", 1440),
        ], sep
        assert parsed.errors == []


def test_the_delimiter_is_the_one_that_splits_rows_evenly() -> None:
    # Commas in a semicolon file's cells (decimal commas, lists) do not make it comma-separated.
    table = st.read_table(b"Name;Duration;Notes\nA;2,5;see: a, b, c\nB;1,5;x, y\n")
    assert table.header == ["Name", "Duration", "Notes"]
    assert table.rows == [["A", "2,5", "see: a, b, c"], ["B", "1,5", "x, y"]]
    # A semicolon inside a comma file's cell stays in the cell.
    table = st.read_table(b'Name,Duration\n"A, with comma",2\nB;x,3\n')
    assert table.rows == [["A, with comma", "2"], ["B;x", "3"]]
    # One column: every line is a row.
    assert st.read_table(b"Name\nOnly 'one'\nTwo\n").rows == [["Only 'one'"], ["Two"]]
    # "sep=" still names it.
    assert st.read_table(b"sep=|\nName|Notes\nA|'x, y'\n").rows == [["A", "'x, y'"]]


# --- 2. The outbound deadline ---------------------------------------------------------------


@contextmanager
def _server(chunks: list[tuple[float, bytes]]) -> Iterator[int]:
    """A receiver on 127.0.0.1 that reads the request, then sends each (pause, bytes) in turn."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    stop = threading.Event()

    def run() -> None:
        conn, _ = srv.accept()
        try:
            conn.recv(65536)
            for pause, data in chunks:
                if stop.wait(pause):
                    break
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)  # the end of the answer, without a reset
            conn.settimeout(2)
            while conn.recv(65536):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        srv.close()


@pytest.fixture
def one_second(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT_S", 1.0)
    monkeypatch.setattr(outbound, "READ_TIMEOUT_S", 1.0)


def _drip(data: bytes, every: float) -> list[tuple[float, bytes]]:
    return [(every, data[i : i + 1]) for i in range(len(data))]


def test_headers_dripped_a_byte_at_a_time_hit_the_overall_deadline(one_second: None) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 30 + b"\r\n\r\nok"
    with _server(_drip(answer, 0.1)) as port:  # ~7 s in all, 0.1 s a byte
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            outbound.send(f"http://127.0.0.1:{port}/hook", body=b"{}")
        took = time.monotonic() - started
    assert str(raised.value) == "no complete answer within 1 s"
    assert 0.9 < took < 1.8


def test_a_body_dripped_a_byte_at_a_time_hits_the_overall_deadline(one_second: None) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
    with _server([(0, head), *_drip(b"y" * 50, 0.1)]) as port:  # the body takes 5 s
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            outbound.send(f"http://127.0.0.1:{port}/hook", body=b"{}")
        took = time.monotonic() - started
    assert str(raised.value) == "no complete answer within 1 s"
    assert 0.9 < took < 1.8


def test_an_answer_in_pieces_within_the_deadline_comes_back_whole(one_second: None) -> None:
    head = b"HTTP/1.1 201 Created\r\nContent-Length: 6\r\nX-Seen: yes\r\n\r\n"
    with _server([(0, head[:10]), (0.1, head[10:]), (0.1, b"ab"), (0.2, b"cdef")]) as port:
        got = outbound.send(f"http://127.0.0.1:{port}/hook", body=b"{}")
    assert (got.status, got.body, got.truncated) == (201, b"abcdef", False)
    assert got.headers["x-seen"] == "yes"


def test_an_answer_without_a_length_is_read_to_the_end(one_second: None) -> None:
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
    with _server([(0, head), (0.1, b"par"), (0.1, b"tial")]) as port:
        got = outbound.send(f"http://127.0.0.1:{port}/hook", body=b"{}")
    assert (got.status, got.body) == (200, b"partial")


# --- 3. Blank IDs ---------------------------------------------------------------------------


def test_a_predecessor_id_no_row_has_is_refused_not_linked_to_a_blank_id_row() -> None:
    table = st.read_table(b"ID,Name,Predecessors\n10,Design,\n,Buy parts,\n30,Build,2\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert [t.ident for t in parsed.tasks] == ["10", "", "30"]
    assert [t.links for t in parsed.tasks] == [[], [], []]
    assert parsed.errors == [st.RowError(4, "Predecessors", "No task has ID 2.")]


def test_rows_without_an_id_still_import_and_link_to_others() -> None:
    data = b"ID,Name,Predecessors\n10,Design,\n,Buy parts,10\n,Order,10\n30,Build,10FS+1d\n"
    table = st.read_table(data)
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert parsed.errors == []  # two blank IDs are not "ID  is also row 3"
    assert [(t.ident, t.name, t.links) for t in parsed.tasks] == [
        ("10", "Design", []),
        ("", "Buy parts", [(0, "FS", 0, "d")]),
        ("", "Order", [(0, "FS", 0, "d")]),
        ("30", "Build", [(0, "FS", 1, "d")]),
    ]


def test_without_an_id_column_a_predecessor_is_a_place_in_the_list() -> None:
    table = st.read_table(b"Name,Predecessors\nA,\nB,1\nC,2\n")
    parsed = st.tasks_from_table(table, st.guess_mapping(table.header))
    assert parsed.errors == []
    assert [t.links for t in parsed.tasks] == [[], [(0, "FS", 0, "d")], [(1, "FS", 0, "d")]]


def test_the_service_refuses_the_made_up_id_too(org: Any, owner: Any) -> None:
    data = b"ID,Name,Predecessors\n10,Design,\n,Buy parts,\n30,Build,2\n"
    upload = sheet_import.upload_sheet(actor=owner, organisation=org, file_name="b.csv", data=data)
    checked = sheet_import.check_upload(upload, upload.mapping)
    assert (checked.ok, checked.errors) == (
        False,
        [st.RowError(4, "Predecessors", "No task has ID 2.")],
    )


# --- 4. Secrets in paths stay out of the access log ------------------------------------------

SECRET = secrets.token_urlsafe(32)


def _routes(resolvers: list[Any], namespace: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", getattr(entry.pattern, "converters", {})


def _secret_routes() -> dict[str, dict[str, str]]:
    """Every named route with a ``secret`` or ``token`` argument (not an ``…_id``, as the API's
    ``token_id``): its arguments, filled in."""
    found = {}
    for name, converters in _routes(get_resolver().url_patterns):
        args = {
            arg: "1"
            if arg.endswith("_id")
            else SECRET
            if {"secret", "token"} & set(arg.split("_"))
            else "MQ"
            for arg in converters
        }
        if SECRET in args.values():
            found[name] = args
    return found


def test_every_route_with_a_secret_in_its_path_is_redacted() -> None:
    routes = _secret_routes()
    assert sorted(routes) == [
        "accounts:password_reset_confirm",
        "accounts:signup_verify",
        "activity:atom",
        "interchange:feed",
        "notifications:unsubscribe",
    ]
    for name, kwargs in routes.items():
        path = reverse(name, kwargs=kwargs)
        assert SECRET in path
        for uri in (path, f"{path}?page=2", f"https://example.com{path}"):
            logged = redact_uri(uri)
            assert SECRET not in logged and "[redacted]" in logged, (name, logged)


def test_redacted_paths_keep_their_route() -> None:
    assert redact_uri(reverse("interchange:feed", args=[SECRET])) == "/feeds/[redacted].ics"
    assert redact_uri(reverse("activity:atom", args=[SECRET])) == "/activity/[redacted].atom"
    assert redact_uri(reverse("notifications:unsubscribe", args=[SECRET])) == (
        "/notifications/unsubscribe/[redacted]/"
    )
    assert redact_uri(f"/accounts/password/reset/MQ/{SECRET}/") == (
        "/accounts/password/reset/MQ/[redacted]/"
    )
    assert redact_uri(f"/accounts/sign-up/confirm/MQ/{SECRET}/?next=/") == (
        "/accounts/sign-up/confirm/MQ/[redacted]/?next=%2F"
    )
    for plain in (
        "/feeds/",
        "/feeds/12/revoke/",
        "/activity/",
        "/activity/feeds/3/revoke/",
        "/activity/projects/3/",
        "/accounts/password/reset/sent/",
        "/accounts/password/reset/MQ/set-password/",
        "/notifications/settings/",
    ):
        assert redact_uri(plain) == plain


def test_the_log_line_holds_no_feed_secret() -> None:
    path = f"/feeds/{SECRET}.ics"
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://example.com/activity/{SECRET}.atom",
        "HTTP_USER_AGENT": "Calendar/1",
    }
    basic = base64.b64encode(b"u:p").decode()
    headers = [("authorization", f"Basic {basic}"), ("x-origin", f"https://x.test{path}")]
    resp = SimpleNamespace(status="200 OK", sent=12, headers=[])
    atoms = logger.atoms(resp, SimpleNamespace(headers=headers), environ, dt.timedelta(0))
    fmt = logger.cfg.access_log_format + " %(U)s %({x-origin}i)s"
    line = fmt % logger.atoms_wrapper_class(atoms)
    assert SECRET not in line
    assert '"GET /feeds/[redacted].ics HTTP/1.1" 200 12' in line
    assert '"https://example.com/activity/[redacted].atom"' in line
    assert line.endswith(" /feeds/[redacted].ics https://x.test/feeds/[redacted].ics")
