"""Amounts in the history are for those the money rule names: a project's rates, budget lines
and budget ceiling, a process's annual budget, spend and fiscal-year budgets. Other members read
the same feeds, object pages and history API without them (``core.history.readable_by``)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from twofold.activity import selectors
from twofold.core.history import history_for
from twofold.costs import services as cost_services
from twofold.evm import services as evm_services
from twofold.operations import services as ops_services
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db

AMOUNTS = ("4,321.00", "4321", "87", "98,765", "98765", "55", "12345", "12,345")


@pytest.fixture
def spent(org: Any, owner: Any, project: Any) -> Any:
    """Every kind of money entry, plus one plain change on the same project and process."""
    evm_services.set_labour_rate(
        actor=owner, project=project, rate=Decimal(87), expected_version=None
    )
    evm_services.add_budget_line(
        actor=owner,
        project=project,
        category="materials",
        description="Steel",
        amount=Decimal(4321),
    )
    project.refresh_from_db()
    project_services.update_project(
        actor=owner,
        project=project,
        expected_version=project.version,
        budget_ceiling=Decimal(98765),
        name="Press line 2",
    )
    process = ops_services.create_process(actor=owner, organisation=org, name="Machining")
    ops_services.update_process(
        actor=owner, process=process, expected_version=process.version, annual_budget=Decimal(55)
    )
    ops_services.add_spend(
        actor=owner,
        process=process,
        spent_on=dt.date(2025, 3, 3),
        amount=Decimal(12345),
        description="Coolant",
    )
    cost_services.set_process_budget(actor=owner, process=process, fiscal_year=2025, amount=777)
    return process


def _text(entries: list[Any]) -> str:
    return " ".join(
        f"{e.verb} {e.summary} " + " ".join(f"{c.label} {c.before} {c.after}" for c in e.changes)
        for e in entries
    )


def test_the_feed_leaves_amounts_out_for_members_and_keeps_them_for_those_who_see_money(
    org: Any, owner: Any, priya: Any, project: Any, spent: Any
) -> None:
    seen_by_owner = _text(selectors.feed(selectors.Scope(org), viewer=owner).entries)
    for amount in ("4,321.00", "87", "98765", "55", "12345", "777"):
        assert amount in seen_by_owner
    member_entries = selectors.feed(selectors.Scope(org), viewer=priya).entries
    seen_by_member = _text(member_entries)
    for amount in ("4,321", "4321", "87", "98765", "98,765", "12345", "777"):
        assert amount not in seen_by_member
    # The rest of the same entries stays: the rename beside the budget ceiling, the process's
    # creation; the annual-budget-only update is left out as a whole.
    verbs = [(e.verb, str(e.target)) for e in member_entries]
    assert verbs == [
        ("created", "Machining"),
        ("updated", "PL Press line 2"),
        ("created", "PL Press line 2"),
    ]
    [rename] = [e for e in member_entries if e.verb == "updated"]
    assert [(c.label, c.before, c.after) for c in rename.changes] == [
        ("Name", "Press line", "Press line 2")
    ]


def test_the_project_manager_and_the_process_owner_see_their_own_money(
    org: Any, owner: Any, priya: Any, project: Any, spent: Any
) -> None:
    project.refresh_from_db()
    project_services.update_project(
        actor=owner, project=project, expected_version=project.version, manager=priya
    )
    seen = _text(selectors.feed(selectors.Scope(org, project_id=project.pk), viewer=priya).entries)
    assert "4,321.00" in seen and "98765" in seen
    process_feed = selectors.feed(selectors.Scope(org, process_id=spent.pk), viewer=priya)
    assert "12345" not in _text(process_feed.entries)
    spent.refresh_from_db()
    ops_services.update_process(
        actor=owner, process=spent, expected_version=spent.version, owner=priya
    )
    process_feed = selectors.feed(selectors.Scope(org, process_id=spent.pk), viewer=priya)
    assert "12345" in _text(process_feed.entries)


def test_object_pages_and_the_history_api_leave_amounts_out_for_members(
    org: Any, owner: Any, priya: Any, project: Any, spent: Any, signed_in: Any, api: Any
) -> None:
    actions = [e.action for e in history_for(project, viewer=priya)]
    assert actions == ["updated", "created"]
    assert [e.action for e in history_for(project, viewer=owner)] == [
        "updated",
        "budget line added",
        "labour rate set",
        "created",
    ]
    client = signed_in(priya)
    for url in (
        reverse("projects:detail", args=[project.pk]),
        reverse("operations:process", args=[spent.pk]),
        reverse("activity:organisation"),
        reverse("accounts:person", args=[owner.pk]),
    ):
        body = client.get(url).content.decode()
        for amount in ("4,321", "98765", "98,765", "12345", "12,345", "777"):
            # As a number, not inside a token: a page's signed live URL and its other ids once
            # held "777" by chance (a failure a rerun passed).
            assert not re.search(rf"(?<![\w-]){re.escape(amount)}(?![\w-])", body), (url, amount)
    rows = api(priya).get(f"/api/organisations/{org.pk}/projects/{project.pk}/history").json()
    assert [row["action"] for row in rows] == ["updated", "created"]
    assert "98765" not in str(rows)
    rows = api(owner).get(f"/api/organisations/{org.pk}/projects/{project.pk}/history").json()
    assert "98765" in str(rows) and "4,321.00" in str(rows)
    feed = api(priya).get(f"/api/organisations/{org.pk}/activity").json()
    assert "12345" not in str(feed) and "4,321" not in str(feed)


def test_the_history_export_leaves_amounts_out_for_members_and_guests(
    org: Any, owner: Any, priya: Any, guest: Any, project: Any, spent: Any, signed_in: Any, api: Any
) -> None:
    """The CSV/XLSX history export (page and API) gave everyone every amount: budget lines,
    rates, the budget ceiling, process spend and budgets."""
    urls = (
        reverse("interchange:export", args=["history", "csv"]),
        reverse("interchange:export", args=["history", "csv"]) + f"?project={project.pk}",
    )
    for person in (priya, guest):
        client = signed_in(person)
        for url in urls:
            body = client.get(url).content.decode()
            assert "Press line 2" in body or "Machining" in body, url
            for amount in ("4,321", "98765", "12345", "777"):
                assert amount not in body, (person, url, amount)
        body = api(person).get(f"/api/organisations/{org.pk}/history/export").content.decode()
        assert "Machining" in body and "4,321" not in body and "12345" not in body
    body = signed_in(owner).get(urls[0]).content.decode()
    assert "4,321.00" in body and "98765" in body and "12345" in body


def test_a_rates_history_is_for_admins(org: Any, owner: Any, priya: Any) -> None:
    from twofold.core.history import history_for
    from twofold.costs.models import Rate

    rate = cost_services.create_rate(
        actor=owner,
        organisation=org,
        role="Welder",
        hourly="87.65",
        effective_from=dt.date(2025, 1, 1),
    )
    assert isinstance(rate, Rate)
    assert [e.action for e in history_for(rate, viewer=owner)] == ["created"]
    assert history_for(rate, viewer=priya) == []


def test_an_expenses_history_is_for_those_who_may_see_the_expense(
    org: Any, owner: Any, priya: Any, admin: Any, project: Any
) -> None:
    from twofold.core.history import history_for

    expense = cost_services.create_expense(
        actor=priya,
        organisation=org,
        spent_on=dt.date(2025, 3, 3),
        category="travel",
        amount="123.45",
        description="Train",
        project=project,
        today=dt.date(2025, 3, 4),
    )
    assert [e.summary for e in history_for(expense, viewer=priya)] == ["Expense Train: 123.45"]
    assert [e.action for e in history_for(expense, viewer=admin)] == ["created"]
    outsider_member = type(priya).objects.create_user(email="m2@acme.example", full_name="M Two")
    from twofold.accounts.models import Membership, Role

    Membership.objects.create(organisation=org, user=outsider_member, role=Role.MEMBER)
    assert history_for(expense, viewer=outsider_member) == []
