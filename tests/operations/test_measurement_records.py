"""Measurements you can trust: corrections, voids, "are you sure?", CSV import with a preview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.accounts.models import Role
from twofold.core.dates import format_day
from twofold.core.errors import Conflict, Forbidden, Invalid
from twofold.core.history import history_for
from twofold.operations import corrections, selectors, services
from twofold.operations.models import Kpi, Measurement

VALUES = [2.8, 3.1, 2.6, 2.9, 3.3, 2.7, 3.0, 2.8, 2.9, 3.0]
START = dt.date.today() - dt.timedelta(weeks=len(VALUES) + 1)


def day(i: int) -> dt.date:
    return START + dt.timedelta(weeks=i)


@pytest.fixture
def history(kpi, owner) -> list[Measurement]:
    return services.add_measurements(
        actor=owner, kpi=kpi, rows=[(i, day(i), v, "") for i, v in enumerate(VALUES)]
    )


def test_minus_999_dated_2030_asks_are_you_sure_and_saves_only_when_confirmed(kpi, owner, history):
    with pytest.raises(services.MeasurementsImplausible) as asked:
        services.add_measurement(actor=owner, kpi=kpi, measured_on=dt.date(2030, 1, 1), value=-999)
    messages = [(w.field, w.message) for w in asked.value.warnings]
    assert messages[0] == (
        "date",
        f"1 Jan 2030 is in the future (today is {format_day(services.org_today(kpi.organisation_id))});"
        " a measurement records what already happened.",
    )
    assert messages[1][0] == "value"
    assert messages[1][1].startswith(
        "-999 % is far outside every value seen so far (2.6 % to 3.3 %)"
    )
    assert asked.value.status == 422 and Measurement.objects.count() == len(VALUES)
    saved = services.add_measurement(
        actor=owner, kpi=kpi, measured_on=dt.date(2030, 1, 1), value=-999, confirmed=True
    )
    assert saved.value == -999 and Measurement.objects.count() == len(VALUES) + 1


def test_a_fraction_for_a_percentage_is_caught(kpi, owner, history):
    with pytest.raises(services.MeasurementsImplausible, match="about 1/100 of the typical"):
        services.add_measurement(actor=owner, kpi=kpi, measured_on=day(10), value=0.028)


def test_correction_keeps_the_original_and_marks_the_chart(kpi, owner, history):
    wrong = history[4]
    corrections.correct_measurement(
        actor=owner, measurement=wrong, value=2.95, reason="Typo: 3.3 for 2.95", expected_version=1
    )
    wrong.refresh_from_db()
    assert (wrong.value, wrong.original_value, wrong.correction_reason, wrong.version) == (
        2.95,
        3.3,
        "Typo: 3.3 for 2.95",
        2,
    )
    corrections.correct_measurement(
        actor=owner, measurement=wrong, value=2.9, reason="Re-read the gauge", expected_version=2
    )
    wrong.refresh_from_db()
    assert (wrong.value, wrong.original_value) == (2.9, 3.3)  # the first value stays
    entries = history_for(wrong, viewer=None)
    assert [(e.action, e.changes) for e in entries] == [
        ("corrected", {"value": [2.95, 2.9]}),
        ("corrected", {"value": [3.3, 2.95]}),
    ]
    data = selectors.kpi_views([kpi], with_voided=True)[0].chart_data()
    assert data["values"][4] == 2.9
    assert data["corrected"][4] == {"original": 3.3, "reason": "Re-read the gauge"}
    assert [i for i, c in enumerate(data["corrected"]) if c] == [4]


def test_correction_needs_a_reason_a_current_version_and_a_member(kpi, owner, org, member, history):
    m = history[0]
    with pytest.raises(Invalid, match="Say why the value is corrected") as no_reason:
        corrections.correct_measurement(
            actor=owner, measurement=m, value=2.5, reason="  ", expected_version=1
        )
    assert no_reason.value.field == "reason"
    with pytest.raises(Conflict):
        corrections.correct_measurement(
            actor=owner, measurement=m, value=2.5, reason="x", expected_version=7
        )
    with pytest.raises(Forbidden):
        corrections.correct_measurement(
            actor=member(org, Role.GUEST), measurement=m, value=2.5, reason="x", expected_version=1
        )
    m.refresh_from_db()
    assert (m.value, m.original_value, m.version) == (2.8, None, 1)


def test_void_leaves_the_limits_and_cannot_be_repeated(kpi, owner, history):
    m = history[-1]
    corrections.void_measurement(
        actor=owner, measurement=m, reason="Sensor was unplugged", expected_version=1
    )
    view = selectors.kpi_views([kpi], with_voided=True)[0]
    assert view.values == VALUES[:-1] and [v.pk for v in view.voided] == [m.pk]
    assert Kpi.objects.get(pk=kpi.pk).latest_value == VALUES[-2]
    data = view.chart_data()
    assert data["values"][-1] is None and data["voided"][-1] == VALUES[-1]
    assert data["corrected"][-1] == {"voided": True, "reason": "Sensor was unplugged"}
    with pytest.raises(Invalid, match="is already voided \\(Sensor was unplugged\\)"):
        corrections.void_measurement(actor=owner, measurement=m, reason="again", expected_version=2)
    # Correcting a voided value restores it with the new value.
    corrections.correct_measurement(
        actor=owner, measurement=m, value=3.05, reason="Re-measured", expected_version=2
    )
    m.refresh_from_db()
    assert (m.voided, m.value, m.original_value) == (False, 3.05, 3.0)


def test_csv_import_reports_errors_and_warnings_before_saving(kpi, owner, history):
    data = f"date,value\n{day(-5)},2.9\n{day(-4)},0.029\nnot a date,3\n".encode()
    with pytest.raises(services.MeasurementsInvalid) as bad:
        services.import_measurements_csv(actor=owner, kpi=kpi, data=data)
    assert [(e.row, e.field) for e in bad.value.errors] == [(4, "date")]
    assert [(w.row, w.field) for w in bad.value.warnings] == [(3, "value")]
    data = f"date,value\n{day(-3)},2.9\n{day(-2)},0.029\n".encode()
    with pytest.raises(services.MeasurementsImplausible) as doubt:
        services.import_measurements_csv(actor=owner, kpi=kpi, data=data)
    assert [w.row for w in doubt.value.warnings] == [3]
    assert Measurement.objects.count() == len(VALUES)
    saved = services.import_measurements_csv(actor=owner, kpi=kpi, data=data, confirmed=True)
    assert [m.value for m in saved] == [2.9, 0.029]


# --- Pages ------------------------------------------------------------------------------------


def test_page_asks_are_you_sure_and_saves_on_confirm(client, kpi, owner, history):
    client.force_login(owner)
    url = f"/operations/kpis/{kpi.pk}/"
    r = client.post(url, {"action": "measure", "measured_on": "2030-01-01", "value": "-999"})
    page = r.content.decode()
    assert r.status_code == 422 and "Are you sure?" in page
    assert "1 Jan 2030 is in the future" in page and "far outside every value seen" in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert Measurement.objects.count() == len(VALUES)
    r = client.post(
        url,
        {"action": "measure", "measured_on": "2030-01-01", "value": "-999.0", "confirm": "1"},
    )
    assert r.status_code == 302 and Measurement.objects.filter(value=-999).count() == 1


def test_page_offers_to_correct_an_existing_date(client, kpi, owner, history):
    client.force_login(owner)
    r = client.post(
        f"/operations/kpis/{kpi.pk}/",
        {"action": "measure", "measured_on": day(2).isoformat(), "value": "2.65"},
    )
    page = r.content.decode()
    assert r.status_code == 422
    assert f"already has a value for {day(2)} (2.6): correct that value instead." in page
    link = f"/operations/measurements/{history[2].pk}/?value=2.65#correct"
    assert link in page and "Correct the existing value" in page
    r = client.get(link)
    assert 'name="value" value="2.65"' in r.content.decode()


def test_measurement_page_corrects_and_voids(client, kpi, owner, history):
    client.force_login(owner)
    m = history[3]
    url = f"/operations/measurements/{m.pk}/"
    r = client.post(url, {"action": "correct", "version": 1, "value": "2.95", "reason": ""})
    assert r.status_code == 400 and "Say why the value is corrected" in r.content.decode()
    r = client.post(url, {"action": "correct", "version": 1, "value": "2.95", "reason": "Typo"})
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "First recorded as" in page and "2.9 %" in page and "Typo" in page
    r = client.post(url, {"action": "void", "version": 1, "reason": "x"})
    assert r.status_code == 409
    r = client.post(url, {"action": "void", "version": 2, "reason": "Wrong line"})
    assert r.status_code == 302
    kpi_page = client.get(f"/operations/kpis/{kpi.pk}/").content.decode()
    assert "Corrections and voids" in kpi_page and "Reason: Wrong line" in kpi_page


def test_csv_page_previews_warnings_and_imports_on_confirm(client, kpi, owner, history):
    client.force_login(owner)
    url = f"/operations/kpis/{kpi.pk}/"
    upload = SimpleUploadedFile(
        "m.csv", f"date,value\n{day(-3)},2.9\n{day(-2)},290\n".encode(), content_type="text/csv"
    )
    r = client.post(url, {"action": "csv", "file": upload})
    page = r.content.decode()
    assert r.status_code == 422 and "Line 3 (value): 290 % is about 100 times" in page
    token = r.context["csv_token"]
    assert len(token) == 32 and Measurement.objects.count() == len(VALUES)
    r = client.post(url, {"action": "csv_confirm", "token": token})
    assert r.status_code == 302 and Measurement.objects.count() == len(VALUES) + 2
    r = client.post(url, {"action": "csv_confirm", "token": token})  # used once only
    assert r.status_code == 422 and "upload it again" in r.content.decode()


def test_kpi_page_has_a_constant_query_count(
    client, kpi, owner, history, django_assert_max_num_queries
):
    client.force_login(owner)
    url = f"/operations/kpis/{kpi.pk}/"
    with django_assert_max_num_queries(60) as few:
        assert client.get(url).status_code == 200
    for i, m in enumerate(history[:6]):
        corrections.correct_measurement(
            actor=owner, measurement=m, value=m.value + 0.01, reason=f"r{i}", expected_version=1
        )
    corrections.void_measurement(
        actor=owner, measurement=history[7], reason="v", expected_version=1
    )
    services.add_measurements(
        actor=owner,
        kpi=kpi,
        rows=[(i, day(-i - 5), 2.9, "") for i in range(1, 30)],
        confirmed=True,
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url + "?all=1").status_code == 200


# --- API --------------------------------------------------------------------------------------


def test_api_asks_for_confirm_and_corrects_and_voids(api, org, owner, member, kpi, history):
    client = api(owner)
    r = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {"measurements": [{"measured_on": "2030-01-01", "value": -999}]},
    )
    body = r.json()
    assert r.status_code == 422 and body["field"] == "date"
    assert [(w["row"], w["field"]) for w in body["warnings"]] == [(1, "date"), (1, "value")]
    r = client.post(
        f"/api/kpis/{kpi.pk}/measurements",
        {"measurements": [{"measured_on": "2030-01-01", "value": -999}], "confirm": True},
    )
    assert r.status_code == 201
    wrong = r.json()[0]["id"]
    r = client.post(
        f"/api/measurements/{wrong}/correct", {"version": 1, "value": 2.9, "reason": ""}
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(
        f"/api/measurements/{wrong}/correct",
        {"version": 1, "value": 2.9, "reason": "Sentinel value, not a reading"},
    )
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["original_value"], r.json()["version"]) == (2.9, -999, 2)
    r = client.post(f"/api/measurements/{wrong}/void", {"version": 1, "reason": "x"})
    assert r.status_code == 409
    r = client.post(f"/api/measurements/{wrong}/void", {"version": 2, "reason": "Dated 2030"})
    assert r.status_code == 200 and r.json()["voided"] is True
    r = client.post(f"/api/measurements/{wrong}/void", {"version": 3, "reason": "again"})
    assert r.status_code == 422 and "already voided" in r.json()["detail"]
    guest = api(member(org, Role.GUEST))
    assert guest.get(f"/api/measurements/{wrong}").status_code == 200
    r = guest.post(f"/api/measurements/{wrong}/correct", {"version": 3, "value": 1, "reason": "x"})
    assert r.status_code == 403


def test_api_hides_other_organisations_values(api, outsider, history):
    r = api(outsider).post(f"/api/measurements/{history[0].pk}/void", {"version": 1, "reason": "x"})
    assert r.status_code == 404


def test_api_csv_import_reports_then_imports(client, api_token, kpi, owner, history):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(owner)}"}
    url = f"/api/kpis/{kpi.pk}/measurements/csv"
    data = f"date,value\n{day(-3)},2.9\n{day(-2)},0.029\n".encode()
    r = client.post(url, {"file": SimpleUploadedFile("m.csv", data)}, **headers)
    assert r.status_code == 422
    assert [(w["row"], w["field"]) for w in r.json()["warnings"]] == [(3, "value")]
    r = client.post(url, {"file": SimpleUploadedFile("m.csv", data), "confirm": "true"}, **headers)
    assert r.status_code == 201 and [m["value"] for m in r.json()] == [2.9, 0.029]


def test_demo_has_a_corrected_and_a_voided_scrap_rate_value(demo_org):
    kpi = Kpi.objects.get(name="Scrap rate")
    corrected = Measurement.objects.get(kpi=kpi, original_value__isnull=False)
    voided = Measurement.objects.get(kpi=kpi, voided_at__isnull=False)
    assert corrected.original_value == pytest.approx(corrected.value / 100, abs=1e-4)
    assert "fraction" in corrected.correction_reason and "counted twice" in voided.void_reason
    assert [e.action for e in history_for(corrected, viewer=None)] == ["corrected"]
    assert [e.action for e in history_for(voided, viewer=None)] == ["voided"]


def test_the_are_you_sure_margin_is_set_per_kpi(api, owner, process, kpi, history):
    r = api(owner).post(
        f"/api/processes/{process.pk}/kpis",
        {"name": "Yield", "target": 95, "red_threshold": 90, "plausibility_spreads": 3},
    )
    assert r.status_code == 201 and r.json()["plausibility_spreads"] == 3
    r = api(owner).patch(f"/api/kpis/{kpi.pk}", {"version": kpi.version, "plausibility_spreads": 0})
    assert r.status_code == 422
    r = api(owner).patch(
        f"/api/kpis/{kpi.pk}", {"version": kpi.version, "plausibility_spreads": 1000}
    )
    assert r.status_code == 200
    kpi.refresh_from_db()
    # 10 is far outside 2.6–3.3 %, but not by 1000 spreads: no question any more.
    saved = services.add_measurement(actor=owner, kpi=kpi, measured_on=day(-1), value=10)
    assert saved.value == 10
