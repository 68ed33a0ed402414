"""Found by a review of the operations, costs and improvement write paths on 2026-12-05: the page,
a CSV import and the API must take the same input, and a redirect target must never break a
saved change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from twofold.core.errors import Invalid
from twofold.core.models import HistoryEntry
from twofold.core.web import same_site_path
from twofold.costs import services
from twofold.costs.models import Expense, Rate
from twofold.operations import services as ops

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/operations/", "/operations/"),
        ("abc", ""),  # read by redirect() as a URL name: 500 after the change was saved
        ("queue", ""),
        ("-1", ""),
        ("//evil.example/", ""),
        ("/\\evil.example/", ""),
        ("https://evil.example/", ""),
        ("", ""),
    ],
)
def test_only_a_path_on_this_site_is_a_target(target: str, kept: str) -> None:
    request = RequestFactory().post("/", HTTP_HOST="testserver")
    assert same_site_path(request, target) == kept


def test_an_expense_outside_the_calendar_years_is_refused_on_the_page_and_the_api(
    signed_in: Any, api: Any, org: Any, worker: Any, project: Any
) -> None:
    page = signed_in(worker).post(
        "/costs/expenses/",
        {
            "target": f"project:{project.pk}",
            "spent_on": YEAR_ONE,
            "category": "materials",
            "amount": "5",
            "description": "x",
        },
    )
    assert page.status_code == 422
    assert "Choose a date between 1 Jan 1980 and 31 Dec 2149." in page.content.decode()
    with pytest.raises(Invalid) as caught:
        services.create_expense(
            actor=worker,
            organisation=org,
            project=project,
            spent_on=dt.date(1, 1, 1),
            category="materials",
            amount="5",
            description="x",
        )
    assert caught.value.field == "spent_on"
    assert Expense.objects.count() == 0


def test_an_archived_project_takes_no_expense_through_the_api_either(
    api: Any, org: Any, worker: Any, project: Any
) -> None:
    type(project).objects.filter(pk=project.pk).update(archived_at=timezone.now())
    r = api(worker).post(
        f"/api/organisations/{org.pk}/expenses",
        {
            "project_id": project.pk,
            "spent_on": "2026-03-02",
            "category": "materials",
            "amount": 5,
            "description": "Bolts",
        },
    )
    assert r.status_code == 422
    assert r.json()["field"] == "project_id"  # the request's name, not the service's
    assert "archived" in r.json()["detail"]
    assert Expense.objects.count() == 0


def test_a_resubmitted_expense_records_what_changed(
    org: Any, worker: Any, admin: Any, process: Any
) -> None:
    expense = services.create_expense(
        actor=worker,
        organisation=org,
        process=process,
        spent_on=dt.date(2026, 3, 2),
        category="travel",
        amount="120",
        description="Train",
    )
    services.decide_expense(
        actor=admin, expense=expense, approve=False, expected_version=1, reason="Hotel too?"
    )
    expense.refresh_from_db()
    services.resubmit_expense(
        actor=worker,
        expense=expense,
        expected_version=expense.version,
        amount="950",
        description="Train and hotel",
    )
    entry = HistoryEntry.objects.get(action="resubmitted")
    assert entry.changes == {
        "amount": ["120.00", "950.00"],
        "description": ["Train", "Train and hotel"],
    }
    services.decide_expense(
        actor=admin, expense=expense, approve=False, expected_version=3, reason="No"
    )
    expense.refresh_from_db()
    with pytest.raises(Invalid, match="too large"):
        services.resubmit_expense(
            actor=worker, expense=expense, expected_version=expense.version, amount="1e11"
        )


def test_rates_spend_and_timesheet_weeks_take_the_same_years_everywhere(
    signed_in: Any, api: Any, org: Any, owner: Any, admin: Any, worker: Any, process: Any
) -> None:
    with pytest.raises(Invalid) as caught:
        services.create_rate(
            actor=owner,
            organisation=org,
            hourly="50",
            effective_from=dt.date(9999, 12, 31),
            role="Welder",
        )
    assert caught.value.field == "effective_from"
    assert Rate.objects.count() == 0
    with pytest.raises(Invalid) as caught:
        ops.add_spend(
            actor=admin, process=process, spent_on=dt.date(1, 1, 1), amount=5, description="x"
        )
    assert caught.value.field == "spent_on"
    # Hours saved in a week no page or GET could ever show.
    r = api(worker).put(
        f"/api/organisations/{org.pk}/timesheet", {"week": "1985-01-07", "cells": []}
    )
    assert (r.status_code, r.json()["field"]) == (422, "week")


def test_kpi_values_from_a_csv_take_the_same_years_as_the_api(
    org: Any, admin: Any, process: Any
) -> None:
    kpi = ops.create_kpi(
        actor=admin, process=process, name="Output", unit="parts", target=100, red_threshold=80
    )
    with pytest.raises(ops.MeasurementsInvalid) as caught:
        ops.add_measurements(
            actor=admin,
            kpi=kpi,
            rows=[
                (2, "2026-03-02", "99", ""),
                (3, "9999-12-31", "98", ""),
                (4, YEAR_ONE, "97", ""),
            ],
            confirmed=True,
        )
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "date"), (4, "date")]
    assert kpi.measurements.count() == 0


def test_a_fiscal_year_budget_the_costs_page_takes_leaves_the_process_editable(
    org: Any, owner: Any, process: Any
) -> None:
    from twofold.accounts.fiscal import current_fiscal_year

    services.set_process_budget(
        actor=owner,
        process=process,
        fiscal_year=current_fiscal_year(org),
        amount="50000000000",
    )
    process.refresh_from_db()
    assert process.annual_budget == Decimal("50000000000.00")
    edited = ops.update_process(
        actor=owner,
        process=process,
        expected_version=process.version,
        description="Now with a description",
        annual_budget=process.annual_budget,  # what the edit form posts back
    )
    assert edited.description == "Now with a description"


def test_the_api_adds_and_serves_an_expense_receipt_as_the_page_does(
    client: Any, api_token: Any, org: Any, worker: Any, admin: Any, process: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    expense = services.create_expense(
        actor=worker,
        organisation=org,
        process=process,
        spent_on=dt.date(2026, 3, 2),
        category="travel",
        amount="80",
        description="Taxi",
    )
    url = f"/api/organisations/{org.pk}/expenses/{expense.pk}/receipt"

    def post(user: Any, version: int) -> Any:
        return client.post(
            url,
            {"file": SimpleUploadedFile("taxi.pdf", b"%PDF-1.4 receipt"), "version": version},
            HTTP_AUTHORIZATION=f"Bearer {api_token(user)}",
        )

    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {api_token(worker)}").status_code == 404
    assert post(admin, 1).status_code == 403  # the approver sees it but did not record it
    from django.core.files.storage import default_storage

    def stored() -> list[str]:
        folders = ["expenses"]
        found: list[str] = []
        while folders:
            folder = folders.pop()
            if not default_storage.exists(folder):
                continue
            dirs, files = default_storage.listdir(folder)
            folders += [f"{folder}/{d}" for d in dirs]
            found += [f"{folder}/{f}" for f in files]
        return found

    before = stored()
    stale = post(worker, 9)
    assert stale.status_code == 409
    assert stored() == before  # a stale upload leaves no file behind
    saved = post(worker, 1)
    assert saved.status_code == 200 and saved.json()["has_attachment"] is True
    got = client.get(url, HTTP_AUTHORIZATION=f"Bearer {api_token(admin)}")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == b"%PDF-1.4 receipt"
    assert got["X-Content-Type-Options"] == "nosniff"
    entry = HistoryEntry.objects.get(action="receipt attached")
    assert entry.changes == {"receipt": [None, "taxi.pdf"]}
    # A stale replacement whose conflict reads the receipt route back: 409, not 500.
    again = client.post(
        url + "?version=1",
        {"file": SimpleUploadedFile("taxi2.pdf", b"%PDF-1.4 second"), "version": 1},
        HTTP_AUTHORIZATION=f"Bearer {api_token(worker)}",
    )
    assert again.status_code == 409 and again.json()["current"] is None
    # The stored file gone (a restore without the media): 404 on the page and the API, not 500.
    from twofold.costs.models import Expense

    stored_name = Expense.objects.get(pk=expense.pk).attachment.name
    default_storage.delete(stored_name)
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {api_token(admin)}").status_code == 404
    client.force_login(admin)
    assert client.get(f"/costs/expenses/{expense.pk}/attachment/").status_code == 404
