"""Reports page and CSV exports: scoped to the organisation, safe in spreadsheets."""

from __future__ import annotations

import csv
import io

import pytest

from twofold.core.csv_export import safe_cell
from twofold.operations.models import Kpi, Measurement
from twofold.projects.models import Project, Task


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("\n=1+1", "'\n=1+1"),
        ("plain", "plain"),
        (-5, -5),
        (2.5, 2.5),
        (None, ""),
        (True, "yes"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def demo(demo_org):
    return demo_org


def test_reports_page_and_exports_with_demo_data(client, demo, django_assert_max_num_queries):
    from twofold.accounts.models import User

    client.force_login(User.objects.get(email="demo@twofold.example"))
    page = client.get("/reports/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Line 3 automation cell" in body
    assert "Scrap rate" in body
    projects = client.get("/reports/export/projects.csv")
    assert projects["Content-Disposition"].startswith('attachment; filename="twofold-projects-')
    rows = _csv(projects)
    assert rows[0][:4] == ["Code", "Project", "Programme", "Phase"]
    assert len(rows) == Project.objects.count() + 1
    line3 = next(r for r in rows if r[1] == "Line 3 automation cell")
    assert line3[3:5] == ["Execution", "Elena Petrova"]
    assert line3[7] == "red"
    with django_assert_max_num_queries(8):
        tasks = _csv(client.get("/reports/export/tasks.csv"))
    assert len(tasks) == Task.objects.count() + 1
    measurements = _csv(client.get("/reports/export/kpi-measurements.csv"))
    assert len(measurements) == Measurement.objects.count() + 1


def test_exports_neutralise_formulas_and_stay_in_the_organisation(client, demo, member, make_org):
    kpi = Kpi.objects.get(name="Scrap rate")
    Measurement.objects.create(
        organisation=kpi.organisation, kpi=kpi, measured_on="2020-01-06", value=1.0,
        note='=HYPERLINK("http://evil.example","x")',
    )  # fmt: skip
    client.force_login(member(make_org("Other Ltd")))
    assert _csv(client.get("/reports/export/kpi-measurements.csv")) == [
        ["Process", "KPI", "Unit", "Date", "Value", "Note", "Status", "Reason", "Original value"]
    ]
    from twofold.accounts.models import User

    client.force_login(User.objects.get(email="demo@twofold.example"))
    rows = _csv(client.get("/reports/export/kpi-measurements.csv"))
    assert ["Line 2 production", "Scrap rate", "%", "2020-01-06", "1.0",
            "'=HYPERLINK(\"http://evil.example\",\"x\")", "", "", ""] in rows  # fmt: skip


def test_exports_say_which_values_were_voided_and_give_days_as_the_pages_do(client, demo, settings):
    """A voided value came out as plain data, and a task's start in the server's zone (a day
    off for an organisation in Auckland) until 2026-12-05."""
    import datetime as dt

    from twofold.accounts.models import Organisation, User
    from twofold.operations import corrections

    user = User.objects.get(email="demo@twofold.example")
    kpi = Kpi.objects.get(name="Scrap rate")
    wrong = Measurement.objects.create(
        organisation=kpi.organisation, kpi=kpi, measured_on=dt.date(2020, 1, 13), value=99.0
    )
    corrections.void_measurement(
        actor=user, measurement=wrong, expected_version=wrong.version, reason="Sensor fault"
    )
    client.force_login(user)
    rows = _csv(client.get("/reports/export/kpi-measurements.csv"))
    assert ["Line 2 production", "Scrap rate", "%", "2020-01-13", "99.0", "", "voided",
            "Sensor fault", ""] in rows  # fmt: skip
    Organisation.objects.filter(pk=kpi.organisation_id).update(timezone="Pacific/Auckland")
    User.objects.filter(pk=user.pk).update(timezone="")
    task = Task.objects.filter(organisation=kpi.organisation, start__isnull=False).first()
    noon = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # 01:00 on 3 March in Auckland
    Task.objects.filter(pk=task.pk).update(start=noon)
    exported = _csv(client.get("/reports/export/tasks.csv"))
    assert [r[6] for r in exported if r[1] == task.name] == ["2026-03-03"]
