"""Numbers read from query strings and forms: anything that is not a whole number within 64 bits
is treated as absent or not found (4xx), never handed to the database (an overflow, a 500).

Found by crawling every page of the demo with hostile query values (2026-12-04): eight pages
answered 500 for a 20-digit id, ``?process=abc`` or a week in the year 9999."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict
from twofold.core.web import STALE_VERSION, posted_version, whole_number
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("-3", -3),
        ("+4", 4),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775808", None),
        (HUGE, None),
        ("\u00b2", None),  # a superscript two: str.isdigit() says yes, int() says no
        ("\u0663", None),  # an Arabic-Indic three: int() takes it, no id is written so
        ("1_000", None),
        ("abc", None),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_whole_number(raw: str | None, value: int | None) -> None:
    assert whole_number(raw) == value


@pytest.mark.parametrize(
    ("raw", "version"),
    [
        ("3", 3),
        (" 3 ", 3),
        ("", None),
        ("  ", None),
        (None, None),
        ("abc", STALE_VERSION),
        (HUGE, STALE_VERSION),
        ("\u00b2", STALE_VERSION),
        ("-1", -1),
    ],
)
def test_posted_version(raw: str | None, version: int | None) -> None:
    assert posted_version(raw) == version


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/capacity/take-on/?project={HUGE}", 404),
        ("/capacity/take-on/?project=%C2%B2", 400),
        (f"/closeout/lessons/?project={HUGE}", 200),
        ("/closeout/lessons/?process=%C2%B2", 200),
        ("/capacity/cell/?person={owner}&week=9999-12-31", 404),
        (f"/capacity/cell/?person={HUGE}&week=2026-12-07", 404),
        (f"/improvement/handovers/new/?project={HUGE}", 200),
        (f"/improvement/items/new/?source=kpi&ref={HUGE}", 404),
        ("/operations/routines/new/?process=abc", 200),
        ("/operations/queues/new/?process=abc", 200),
        ("/operations/quality/new/?process=%C2%B2", 200),
        (f"/activity/?person={HUGE}", 200),
        ("/projects/" + "%C2%B2" * 19 + "/", 404),
    ],
)
def test_pages_answer_hostile_numbers_without_an_error(
    client: Any, owner: Any, url: str, status: int
) -> None:
    client.force_login(owner)
    assert client.get(url.format(owner=owner.pk)).status_code == status


def test_a_version_beyond_64_bits_is_a_conflict_not_an_overflow(org: Any, owner: Any) -> None:
    """Through the ORM (Django treats an out-of-range integer in a lookup as matching no row),
    where the pages above went through compiled reads and overflowed."""
    project = project_services.create_project(
        actor=owner, organisation=org, name="Apollo", code="APO"
    )
    project.name = "Tampered"
    with pytest.raises(Conflict):
        save_versioned(project, expected_version=10**20, fields=["name"])
    project.refresh_from_db()
    assert (project.name, project.version) == ("Apollo", 1)


def test_switching_to_an_organisation_id_beyond_64_bits_is_not_found(client: Any, owner: Any):
    client.force_login(owner)
    r = client.post("/accounts/organisation/switch/", {"organisation": HUGE})
    assert r.status_code == 404
