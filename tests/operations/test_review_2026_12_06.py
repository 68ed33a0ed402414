"""Review of 2026-12-06: CSV notes (control characters, length), the date range of change points
and KPI baselines from the page, guests as a routine's assignee, and what reopens a request."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.core.errors import Invalid
from twofold.operations import change_points, services
from twofold.operations.forms import RoutineForm
from twofold.operations.models import ChangePoint, Kpi, Measurement, Request, Routine
from twofold.operations.models import Status as S

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _csv(body: bytes) -> io.BytesIO:
    upload = io.BytesIO(body)
    upload.name = "values.csv"
    return upload


def _api_csv(client: Any, token: str, kpi: Any, body: bytes) -> Any:
    return client.post(
        f"/api/kpis/{kpi.pk}/measurements/csv",
        {"file": _csv(body)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


# --- 1. control characters in a note or date cell ---------------------------------------------


@pytest.mark.parametrize("note", ["a\x00b", "bell\x07", "vertical\x0btab"])
def test_a_control_character_in_a_note_is_a_row_error_in_the_service(
    kpi: Any, owner: Any, note: str
) -> None:
    with pytest.raises(services.MeasurementsInvalid) as caught:
        services.add_measurements(actor=owner, kpi=kpi, rows=[(1, dt.date(2025, 1, 3), 1.0, note)])
    assert [(e.row, e.field) for e in caught.value.errors] == [(1, "note")]
    assert not Measurement.objects.exists()


def test_a_tab_and_line_breaks_in_a_note_are_kept(kpi: Any, owner: Any) -> None:
    note = "a\tb\r\ntwo lines"
    services.add_measurements(actor=owner, kpi=kpi, rows=[(1, dt.date(2025, 1, 3), 1.0, note)])
    assert list(Measurement.objects.values_list("note", flat=True)) == [note]


def test_a_nul_in_a_csv_note_is_refused_on_the_page(kpi: Any, owner: Any, signed_in: Any) -> None:
    page = signed_in(owner).post(
        f"/operations/kpis/{kpi.pk}/",
        {"action": "csv", "file": _csv(b"date,value,note\n2025-01-02,1,ok\n2025-01-03,1,a\x00b\n")},
    )
    assert page.status_code == 422
    assert "control character" in page.content.decode()
    assert not Measurement.objects.exists()


def test_a_nul_in_a_csv_note_or_date_is_refused_by_the_api(
    kpi: Any, owner: Any, client: Any, api_token: Any
) -> None:
    token = api_token(owner)
    got = _api_csv(client, token, kpi, b"date,value,note\n2025-01-03,1,a\x00b\n2025-01-04\x00,1,\n")
    assert got.status_code == 422
    assert [(e["row"], e["field"]) for e in got.json()["errors"]] == [(2, "note"), (3, "date")]
    assert "\x00" not in got.content.decode()
    assert not Measurement.objects.exists()


def test_a_control_character_in_a_json_note_is_refused_by_the_api(
    kpi: Any, owner: Any, api: Any
) -> None:
    for note in ("a\x00b", "bell\x07"):
        got = api(owner).post(
            f"/api/kpis/{kpi.pk}/measurements",
            {"measurements": [{"measured_on": "2025-01-03", "value": 1, "note": note}]},
        )
        assert got.status_code == 422
        assert got.json()["field"].endswith("note")
    assert not Measurement.objects.exists()


# --- 4. a long CSV note is an error, not cut ---------------------------------------------------


def test_a_long_csv_note_is_a_row_error_not_cut(
    kpi: Any, owner: Any, client: Any, api_token: Any, signed_in: Any
) -> None:
    body = b"date,value,note\n2025-01-03,1," + b"n" * 500 + b"\n"
    got = _api_csv(client, api_token(owner), kpi, body)
    assert got.status_code == 422
    [error] = got.json()["errors"]
    assert (error["row"], error["field"]) == (2, "note")
    assert "at most 200 characters" in error["message"]
    page = signed_in(owner).post(
        f"/operations/kpis/{kpi.pk}/", {"action": "csv", "file": _csv(body)}
    )
    assert page.status_code == 422
    assert "at most 200 characters" in page.content.decode()
    assert not Measurement.objects.exists()
    # 200 characters still fit.
    ok = _api_csv(client, api_token(owner), kpi, b"date,value,note\n2025-01-03,1," + b"n" * 200)
    assert ok.status_code == 201
    assert [len(n) for n in Measurement.objects.values_list("note", flat=True)] == [200]


# --- 2. dates of change points and baselines -------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(2150, 1, 1)])
def test_a_change_point_outside_the_years_is_refused(kpi: Any, owner: Any, day: dt.date) -> None:
    services.add_measurement(actor=owner, kpi=kpi, measured_on=dt.date(2025, 1, 1), value=2.0)
    with pytest.raises(Invalid) as caught:
        change_points.add_change_point(actor=owner, kpi=kpi, date=day, label="x")
    assert caught.value.field == "date"
    assert not ChangePoint.objects.exists()


def test_the_change_point_page_refuses_year_9999(kpi: Any, owner: Any, signed_in: Any) -> None:
    services.add_measurement(actor=owner, kpi=kpi, measured_on=dt.date(2025, 1, 1), value=2.0)
    page = signed_in(owner).post(
        f"/operations/kpis/{kpi.pk}/change-points/",
        {"date": "9999-12-31", "label": "x"},
        follow=True,
    )
    assert "Choose a date between" in page.content.decode()
    assert not ChangePoint.objects.exists()
    ok = signed_in(owner).post(
        f"/operations/kpis/{kpi.pk}/change-points/", {"date": "2149-12-31", "label": "x"}
    )
    assert ok.status_code == 302
    assert list(ChangePoint.objects.values_list("date", flat=True)) == [dt.date(2149, 12, 31)]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(1, 1, 1), dt.date(2025, 1, 1), "baseline_start"),
        (dt.date(2025, 1, 1), dt.date(9999, 12, 31), "baseline_end"),
    ],
)
def test_baseline_days_outside_the_years_are_refused(
    kpi: Any, owner: Any, start: dt.date, end: dt.date, field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        services.update_kpi(
            actor=owner,
            kpi=kpi,
            expected_version=kpi.version,
            baseline_start=start,
            baseline_end=end,
        )
    assert caught.value.field == field
    with pytest.raises(Invalid) as made:
        services.create_kpi(
            actor=owner, process=kpi.process, name="Other", baseline_start=start, baseline_end=end
        )
    assert made.value.field == field
    kpi.refresh_from_db()
    assert (kpi.baseline_start, kpi.baseline_end, kpi.version) == (None, None, 1)


def test_the_baseline_page_refuses_year_1_and_9999(kpi: Any, owner: Any, signed_in: Any) -> None:
    page = signed_in(owner).post(
        f"/operations/kpis/{kpi.pk}/",
        {
            "action": "baseline",
            "baseline_start": "0001-01-01",
            "baseline_end": "9999-12-31",
            "version": kpi.version,
        },
    )
    assert page.status_code == 422
    assert "Choose a date between" in page.content.decode()
    kpi.refresh_from_db()
    assert (kpi.baseline_start, kpi.baseline_end, kpi.version) == (None, None, 1)


def test_a_stored_far_baseline_does_not_block_other_edits(kpi: Any, owner: Any) -> None:
    Kpi.objects.filter(pk=kpi.pk).update(baseline_end=dt.date(9999, 12, 31))
    kpi.refresh_from_db()
    services.update_kpi(actor=owner, kpi=kpi, expected_version=kpi.version, name="Scrap")
    kpi.refresh_from_db()
    assert kpi.name == "Scrap"


# --- 3. a guest is not a routine's assignee ----------------------------------------------------


def test_a_guest_cannot_be_a_routines_assignee(
    org: Any, owner: Any, member: Any, process: Any, routine: Any, api: Any
) -> None:
    guest = member(org, Role.GUEST)
    got = api(owner).patch(
        f"/api/routines/{routine.pk}", {"version": routine.version, "assignee_id": guest.pk}
    )
    assert got.status_code == 422
    assert got.json()["field"] == "assignee_id"
    routine.refresh_from_db()
    assert (routine.assignee_id, routine.version) == (None, 1)
    with pytest.raises(Invalid) as caught:
        services.update_routine(
            actor=owner, routine=routine, expected_version=routine.version, assignee=guest
        )
    assert caught.value.field == "assignee"
    with pytest.raises(Invalid) as made:
        services.create_routine(
            actor=owner, process=process, name="R2", rrule="FREQ=DAILY", assignee=guest
        )
    assert made.value.field == "assignee"
    assert not Routine.objects.filter(name="R2").exists()
    worker = member(org, Role.MEMBER)
    services.update_routine(
        actor=owner, routine=routine, expected_version=routine.version, assignee=worker
    )
    routine.refresh_from_db()
    assert routine.assignee_id == worker.pk


def test_the_routine_form_offers_members_not_guests(
    org: Any, owner: Any, member: Any, make_org: Any
) -> None:
    guest = member(org, Role.GUEST)
    worker = member(org, Role.MEMBER)
    elsewhere = make_org()
    member(elsewhere, Role.GUEST)
    # A guest elsewhere but a member here is still offered here.
    from twofold.accounts.models import Membership

    Membership.objects.create(organisation=elsewhere, user=worker, role=Role.GUEST)
    offered = set(RoutineForm(organisation=org).fields["assignee"].queryset)  # type: ignore[attr-defined]
    assert guest not in offered
    assert {owner, worker} <= offered


def test_a_guest_cannot_be_a_requests_assignee_through_update_request(
    org: Any, owner: Any, member: Any, queue: Any
) -> None:
    guest = member(org, Role.GUEST)
    req = services.create_request(actor=owner, queue=queue, title="x")
    with pytest.raises(Invalid) as caught:
        services.update_request(
            actor=owner, request=req, expected_version=req.version, assignee=guest
        )
    assert caught.value.field == "assignee"


# --- 5. closed is final; the docs say so -------------------------------------------------------


def test_closed_is_final_and_the_docs_say_so(owner: Any, queue: Any) -> None:
    req = services.create_request(actor=owner, queue=queue, title="x")
    for status in (S.RESOLVED, S.CLOSED):
        req = services.change_request_status(
            actor=owner, request=req, status=status, expected_version=req.version
        )
    with pytest.raises(Invalid) as caught:
        services.change_request_status(
            actor=owner, request=req, status=S.IN_PROGRESS, expected_version=req.version
        )
    assert caught.value.field == "status"
    assert Request.objects.get(pk=req.pk).status == S.CLOSED
    text = " ".join(DOCS.read_text().split())
    assert "resolved or closed before it was reopened" not in text
    assert "closed is final" in text
