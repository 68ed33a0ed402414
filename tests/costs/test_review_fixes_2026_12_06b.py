"""Review of 6 December 2026 (b): a process owner's approval page counted, on a request's line,
the hours of another process. The page kept or dropped whole lines, but who decides an entry is
decided entry by entry (``selectors.decides_filter``): a request's line holds hours on two
processes once its queue moved to another process (the hours logged before stay with the old
one), so the new process's owner read "5 h logged on the lines you decide", 2 h of them on a
process they do not decide, while ``GET time-entries`` listed them the 3 h alone."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.costs.conftest import MONDAY
from tests.quality.conftest import calendar  # noqa: F401 - fixture
from twofold.accounts.models import Role
from twofold.costs import services
from twofold.operations import services as ops
from twofold.operations.models import Process, Queue

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + dt.timedelta(days=1)
SPAN = f"from={MONDAY.isoformat()}&to={(MONDAY + dt.timedelta(days=6)).isoformat()}"


@pytest.fixture
def split_week(
    org: Any,
    owner: Any,
    member: Any,
    worker: Any,
    process: Any,
    calendar: Any,  # noqa: F811
) -> dict[str, Any]:
    """The worker's submitted week on one request: 2 h on Monday while its queue was on
    "Maintenance" (owned by Mo), 3 h on Tuesday after the queue moved to "Utilities" (owned by
    Olive)."""
    mo = member(org, Role.MEMBER, full_name="Mo Maintainer")
    Process.objects.filter(pk=process.pk).update(owner=mo)
    other = member(org, Role.MEMBER, full_name="Olive Other")
    utilities = ops.create_process(actor=owner, organisation=org, name="Utilities", owner=other)
    queue = ops.create_queue(
        actor=owner, organisation=org, name="Pumps", calendar=calendar, process=process
    )
    req = ops.create_request(actor=owner, queue=queue, title="Seal leak")
    line = f"request:{req.pk}"
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[services.Cell(line, MONDAY, "2")],
        expected_version=None,
    )
    Queue.objects.filter(pk=queue.pk).update(process=utilities)
    sheet.refresh_from_db()
    sheet = services.save_cells(
        actor=worker,
        organisation=org,
        person=worker,
        week_start=MONDAY,
        cells=[services.Cell(line, TUESDAY, "3")],
        expected_version=sheet.version,
    )
    sheet.refresh_from_db()
    services.submit_timesheet(actor=worker, timesheet=sheet, expected_version=sheet.version)
    sheet.refresh_from_db()
    return {
        "sheet": sheet,
        "line": line,
        "mo": mo,
        "other": other,
        "maintenance": process,
        "utilities": utilities,
    }


def _grid(html: str) -> tuple[list[str], str]:
    """The cells of the one line of the grid (seven days and its total) and the week's total."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    assert len(rows) == 1, rows
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', rows[0])
    foot = html.split("<tfoot>", 1)[1].split("</tr>", 1)[0]
    week_total = re.findall(r'<td class="num">([^<]*)</td>', foot)[-1]
    return cells, week_total


def test_the_entries_of_the_request_line_are_on_two_processes(split_week: dict[str, Any]) -> None:
    entries = split_week["sheet"].entries.order_by("day")
    assert [(e.line_key, e.day, e.hours, e.process_id, e.status) for e in entries] == [
        (split_week["line"], MONDAY, Decimal(2), split_week["maintenance"].pk, "submitted"),
        (split_week["line"], TUESDAY, Decimal(3), split_week["utilities"].pk, "submitted"),
    ]


@pytest.mark.parametrize(
    ("who", "on", "day", "hours", "cells"),
    [
        ("other", "utilities", TUESDAY, "3", ["", "3", "", "", "", "", "", "3"]),
        ("mo", "maintenance", MONDAY, "2", ["2", "", "", "", "", "", "", "2"]),
    ],
)
def test_each_process_owner_sees_only_the_hours_they_decide_as_the_api_lists_them(
    org: Any,
    split_week: dict[str, Any],
    client: Any,
    api: Any,
    who: str,
    on: str,
    day: dt.date,
    hours: str,
    cells: list[str],
) -> None:
    viewer = split_week[who]
    client.force_login(viewer)
    page = client.get(f"/costs/approvals/{split_week['sheet'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{hours} h logged on the lines you decide; 40 h available." in html
    assert "5 h logged" not in html
    assert _grid(html) == (cells, hours)
    # The API's time entries list them the same entry, the same hours.
    got = api(viewer).get(f"/api/organisations/{org.pk}/time-entries?{SPAN}")
    assert got.status_code == 200, got.content
    assert [(e["line"], e["day"], Decimal(e["hours"]), e["process_id"]) for e in got.json()] == [
        (split_week["line"], day.isoformat(), Decimal(hours), split_week[on].pk)
    ]


def test_the_person_and_an_admin_still_see_the_whole_week(
    split_week: dict[str, Any], admin: Any, worker: Any, client: Any
) -> None:
    for viewer in (admin, worker):
        client.force_login(viewer)
        html = client.get(f"/costs/approvals/{split_week['sheet'].pk}/").content.decode()
        assert "5 h logged of 40 h available." in html
        assert _grid(html) == (["2", "3", "", "", "", "", "", "5"], "5")


def test_approving_decides_only_the_hours_the_page_showed(
    split_week: dict[str, Any], client: Any
) -> None:
    sheet = split_week["sheet"]
    client.force_login(split_week["other"])
    done = client.post(f"/costs/approvals/{sheet.pk}/", {"version": sheet.version, "approve": "1"})
    assert done.status_code == 302
    assert [(e.day, e.hours, e.status) for e in sheet.entries.order_by("day")] == [
        (MONDAY, Decimal(2), "submitted"),
        (TUESDAY, Decimal(3), "approved"),
    ]


def test_the_page_takes_as_many_queries_for_a_partial_viewer_as_for_the_person(
    split_week: dict[str, Any], worker: Any, client: Any
) -> None:
    """The partial grid filters the one query of the entries; it adds none (12, as before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/costs/approvals/{split_week['sheet'].pk}/"
    counts = []
    for viewer in (worker, split_week["other"]):
        client.force_login(viewer)
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts == [12, 12], counts
