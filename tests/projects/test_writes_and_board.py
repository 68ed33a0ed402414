"""Issue 18 item 5: a status change, a card move and the board of cards -- what each costs in
queries (after the commit included: search, webhooks, live counters), with the version check,
history and escaping kept."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.html import escape

from twofold.activity.models import LiveVersion
from twofold.core import dates
from twofold.core.models import HistoryEntry
from twofold.projects import selectors, services
from twofold.projects.models import Task

pytestmark = pytest.mark.django_db


def _counter(project: Any) -> int:
    row = LiveVersion.objects.filter(key=f"project-{project.pk}").first()
    return row.version if row else 0


def _fresh_webhook_batch(org: Any) -> Any:
    """An endpoint that hears task changes, and no webhook batch pending: in a test everything
    runs in one transaction whose on-commit hooks never run, so the fixtures' pending flush
    would otherwise collect this request's events (a request in production starts with none)."""
    from twofold.interchange.webhooks import events
    from twofold.interchange.webhooks.models import WebhookEndpoint

    events._pending.token = None
    return WebhookEndpoint.objects.create(
        organisation=org, url="https://hooks.example.com/t", event_types=["task.changed"]
    )


def _deliveries() -> list[str]:
    from twofold.interchange.webhooks.models import WebhookDelivery

    return list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))


def _entries(task: Any) -> list[dict[str, Any]]:
    return list(
        HistoryEntry.objects.filter(object_id=task.pk, action="updated")
        .order_by("pk")
        .values_list("changes", flat=True)
    )


def test_a_card_move_is_one_versioned_update_with_history_and_the_live_counter(
    client: Any,
    org: Any,
    project: Any,
    chain: list[Any],
    owner: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    card, other = chain[0], chain[1]
    # Started (its counter row exists; after-commit work of the fixtures is done).
    with django_capture_on_commit_callbacks(execute=True):
        services.update_task(actor=owner, task=card, expected_version=card.version, status="doing")
    card.refresh_from_db()
    client.force_login(owner)
    move = f"/projects/{project.pk}/board/move/"
    client.get(f"/projects/{project.pk}/board/")  # the session's first read is out of the way
    counter = _counter(project)
    _fresh_webhook_batch(org)
    # session, user with memberships, project, card; savepoint (the test's transaction stands for
    # the request's BEGIN), the column's last key, is that key free, one UPDATE (key, status
    # and version at once), history, release; after the commit: webhook endpoints, the
    # delivery, live counter. Removed: the project's lock (a no-op on SQLite), a second
    # UPDATE with its own savepoint and release, the task's project read again for the counter
    # (20 with the old code in this test).
    with (
        django_assert_num_queries(
            14 if connection.vendor == "postgresql" else 13
        ),  # PG: + the project row lock
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client.post(move, {"task": card.pk, "status": "review", "version": card.version})
    assert r.status_code == 200
    body = r.json()
    # The version goes up by one (it went up by two when the key and the status were written
    # apart); the page sends back what it was answered.
    assert (body["status"], body["version"]) == ("review", card.version + 1)
    stored = Task.objects.get(pk=card.pk)
    assert (stored.status, stored.version, stored.board_key) == (
        "review",
        body["version"],
        body["key"],
    )
    assert _entries(card)[-1] == {"status": ["doing", "review"]}
    assert _counter(project) == counter + 1 and _deliveries() == ["task.changed"]
    # A stale move: 409, nothing written, no entry, no counter raised.
    before = len(_entries(card))
    with django_capture_on_commit_callbacks(execute=True):
        stale = client.post(move, {"task": card.pk, "status": "done", "version": card.version})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    assert Task.objects.get(pk=card.pk).version == body["version"]
    assert Task.objects.get(pk=card.pk).status == "review"
    assert len(_entries(card)) == before and _counter(project) == counter + 1
    assert _deliveries() == ["task.changed"]
    # Within its column (no status change): one UPDATE of the key, no history entry.
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            move, {"task": card.pk, "status": "review", "version": body["version"], "before": ""}
        )
    assert r.json()["version"] == body["version"] + 1 and len(_entries(card)) == before
    # A card the user cannot see (here: none with that id in this project) stays a 404.
    missing = client.post(move, {"task": other.pk + 10**6, "status": "done", "version": 1})
    assert missing.status_code == 404


def test_the_service_keeps_the_card_unchanged_on_a_stale_version(
    chain: list[Any], owner: Any
) -> None:
    from twofold.core.errors import Conflict

    card = chain[0]
    shown = (card.status, card.board_key, card.percent_complete, card.actual_start)
    with pytest.raises(Conflict):
        services.move_card(actor=owner, task=card, status="done", expected_version=card.version - 1)
    assert (card.status, card.board_key, card.percent_complete, card.actual_start) == shown
    stored = Task.objects.get(pk=card.pk)
    assert (stored.status, stored.board_key, stored.version) == (
        card.status,
        card.board_key,
        card.version,
    )


def test_a_status_change_over_the_api_counts_its_queries_after_the_commit_too(
    api: Any,
    org: Any,
    project: Any,
    chain: list[Any],
    owner: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = api(owner)
    task = chain[0]
    path = f"/api/organisations/{org.pk}/projects/{project.pk}/tasks/{task.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.patch(path, {"version": task.version, "status": "doing"})
    version = started.json()["task"]["version"]
    counter = _counter(project)
    _fresh_webhook_batch(org)
    # token, memberships, project, task, savepoint, UPDATE, history, release; after the commit
    # (the test's transaction stands for the request's): webhook endpoints, the delivery, live
    # counter -- the counter's project is the task's own field, not read again (12 before).
    with (
        django_assert_num_queries(11),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client.patch(path, {"version": version, "status": "review"})
    assert r.status_code == 200 and r.json()["task"]["version"] == version + 1
    assert _counter(project) == counter + 1 and _deliveries() == ["task.changed"]
    assert _entries(task)[-1] == {"status": ["doing", "review"]}


def test_the_board_page_costs_constant_queries(
    client: Any, project: Any, chain: list[Any], owner: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(owner)
    page = f"/projects/{project.pk}/board/"
    client.get(page)
    # session, user with memberships, project, cards, live counter
    with django_assert_num_queries(5):
        r = client.get(page)
    assert r.status_code == 200
    for i in range(5):
        services.create_task(actor=owner, project=project, name=f"More {i}")
    with django_assert_num_queries(5):
        html = client.get(page).content.decode()
    assert "More 4" in html


def _reference_cards(cards: list[selectors.BoardCard], base: str) -> str:
    """The cards as the board wrote them before (Django's ``escape`` per value, each date
    through ``dates.format_day_short``): the new code must write the same bytes."""
    out = []
    for t in cards:
        meta = []
        if t.assignee_id:
            who = escape(t.assignee_name)
            meta.append(
                f'<span class="avatar avatar-sm" title="{who}">{escape(t.assignee_initials)}</span>'
            )
        if t.finish:
            label = dates.format_day_short(t.finish.astimezone(timezone.get_current_timezone()))
            meta.append(f'<span class="muted">due {label}</span>')
        if t.priority in ("high", "urgent"):
            meta.append(
                f'<span class="badge badge-amber">{selectors.PRIORITY_LABELS[t.priority]}</span>'
            )
        if t.is_critical:
            meta.append('<span class="badge badge-red">Critical</span>')
        out.append(
            f'<li class="board-card prio-{escape(t.priority)}" id="card-{t.pk}" '
            f'data-task="{t.pk}" '
            f'data-version="{t.version}"><a href="{base}{t.pk}/">{escape(t.name)}</a>'
            f'<div class="board-card-meta small">{"".join(meta)}</div></li>'
        )
    return "".join(out)


@pytest.mark.parametrize("zone", ["Europe/London", "Pacific/Auckland", "America/Los_Angeles"])
def test_board_cards_are_the_same_bytes_as_before_escaped_in_every_date_format(
    project: Any, zone: str
) -> None:
    base = f"/projects/{project.pk}/tasks/"
    names = ["<b>\"Fix\"</b> & 'ship'", "Plain", "Ünïcödé — dash"]
    people = ["A<\"&'>@b c", "Ann Architect", "solo@example.com"]
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # the next day east of London
    cards = [
        selectors.BoardCard(
            pk=100 + i,
            project_id=project.pk,
            name=names[i % 3],
            status="todo",
            priority=["low", "normal", "high", "urgent"][i % 4],
            board_key=f"a{i}",
            version=i,
            finish=[None, late, late - dt.timedelta(days=40), late][i % 4],
            is_critical=bool(i % 3),
            assignee_id=[None, 7, 8, 9][i % 4],
            assignee_name=["", *people][i % 4],
        )
        for i in range(24)
    ]
    with timezone.override(ZoneInfo(zone)):
        for name in dates.PATTERNS:
            dates.activate_format(name)
            try:
                written = str(selectors.board_cards(cards))
                assert written == _reference_cards(cards, base)
            finally:
                dates.activate_format(dates.DEFAULT_FORMAT)
    assert "&lt;b&gt;&quot;Fix&quot;&lt;/b&gt; &amp; &#x27;ship&#x27;" in written
    assert 'title="A&lt;&quot;&amp;&#x27;&gt;@b c"' in written


def test_a_move_without_a_card_names_the_field_and_an_unseen_project_is_404(
    client: Any, project: Any, owner: Any, make_org: Any, member: Any
) -> None:
    from twofold.accounts.models import Role

    client.force_login(owner)
    move = f"/projects/{project.pk}/board/move/"
    for sent in ({}, {"task": "abc"}, {"task": ""}):
        r = client.post(move, {"status": "doing", "version": "1", **sent})
        assert (r.status_code, r.json()["field"]) == (422, "task")
    assert client.post(move, {"task": "0", "status": "doing", "version": "1"}).status_code == 404
    stranger = member(make_org(name="Elsewhere"), Role.OWNER)
    client.force_login(stranger)  # the project is not theirs: 404 before the missing card
    assert client.post(move, {"status": "doing"}).status_code == 404
