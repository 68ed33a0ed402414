"""Board keys stay short and unique: rebalancing keeps the order, stale boards cannot collide."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from twofold.engine.ordering import is_valid_key
from twofold.projects import board_order, services
from twofold.projects.models import Project, Task


def _column(project: Project, status: str = "todo") -> list[str]:
    return list(
        Task.objects.filter(project=project, status=status)
        .order_by("board_key")
        .values_list("name", flat=True)
    )


def _cards(project: Project, owner: Any, n: int) -> list[Task]:
    return [services.create_task(actor=owner, project=project, name=f"C{i}")[0] for i in range(n)]


@pytest.mark.django_db
def test_four_hundred_moves_to_the_top_keep_keys_short_and_the_order_right(
    project: Project, owner: Any
) -> None:
    cards = _cards(project, owner, 3)
    expected = [c.name for c in cards]
    for step in range(400):
        card = Task.objects.get(pk=cards[step % 3].pk)
        top = (
            Task.objects.filter(project=project, status="todo")
            .exclude(pk=card.pk)
            .order_by("board_key")
            .first()
        )
        services.move_card(
            actor=owner, task=card, status="todo", before=top, expected_version=card.version
        )
        expected.remove(card.name)
        expected.insert(0, card.name)
    assert _column(project) == expected
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    assert max(map(len, keys)) <= board_order.MAX_KEY_LENGTH
    assert all(is_valid_key(k) for k in keys)


@pytest.mark.django_db
def test_two_moves_into_the_same_gap_from_a_stale_board_get_different_keys(
    project: Project, owner: Any
) -> None:
    a, b, c, d = _cards(project, owner, 4)
    # Both clients saw [A, B, C, D] and drop C and D between A and B.
    stale_a, stale_b = Task.objects.get(pk=a.pk), Task.objects.get(pk=b.pk)
    for card in (c, d):
        card.refresh_from_db()
        services.move_card(
            actor=owner,
            task=card,
            status="todo",
            after=stale_a,
            before=stale_b,
            expected_version=card.version,
        )
    assert _column(project) == ["C0", "C3", "C2", "C1"]
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    assert len(set(keys)) == 4


@pytest.mark.django_db
def test_a_card_dropped_below_a_card_that_left_the_column_goes_to_the_end(
    project: Project, owner: Any
) -> None:
    a, _b, c = _cards(project, owner, 3)
    services.move_card(actor=owner, task=a, status="doing", expected_version=a.version)
    c.refresh_from_db()
    services.move_card(actor=owner, task=c, status="todo", after=a, expected_version=c.version)
    assert _column(project) == ["C1", "C2"]


@pytest.mark.django_db
def test_rebalance_keeps_every_column_in_order(project: Project, owner: Any) -> None:
    cards = _cards(project, owner, 30)
    for card in cards[::3]:
        card.refresh_from_db()
        services.move_card(actor=owner, task=card, status="doing", expected_version=card.version)
    before = {s: _column(project, s) for s in ("todo", "doing")}
    with transaction.atomic():
        board_order.lock_board(project)
        assert board_order.rebalance(project) == 30
    assert {s: _column(project, s) for s in ("todo", "doing")} == before
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    assert max(map(len, keys)) == 1


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_key(project: Project, owner: Any) -> None:
    a, b = _cards(project, owner, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=b.pk).update(board_key=a.board_key)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_leave_unique_keys_and_lose_no_card(org: Any, owner: Any) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "SQLite's in-memory test database cannot be shared by threads; .ci/run "
            "runs this on PostgreSQL"
        )
    project = services.create_project(actor=owner, organisation=org, name="Board", code="BRD")
    cards = _cards(project, owner, 10)
    errors: list[BaseException] = []

    def client(offset: int) -> None:
        try:
            for step in range(10):
                card = Task.objects.get(pk=cards[(offset + step) % 10].pk)
                top = cards[(offset + step + 1) % 10]
                services.move_card(
                    actor=owner, task=card, status="todo", before=top, expected_version=None
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    assert len(keys) == 10 and len(set(keys)) == 10


@pytest.mark.django_db
def test_a_free_key_past_taken_ones_is_found_in_one_query(
    project: Project, owner: Any, django_assert_num_queries: Any
) -> None:
    """The keys a placement would try in turn are checked together: with the first three held
    by other columns' cards, the fourth comes back from one query; a card may keep its own."""
    from twofold.engine.ordering import key_between

    a, b, c, d = _cards(project, owner, 4)
    k0 = key_between("V", None)
    k1 = key_between("V", k0)
    k2 = key_between("V", k1)
    for card, key in ((a, "V"), (b, k0), (c, k1), (d, k2)):
        Task.objects.filter(pk=card.pk).update(board_key=key, status="doing")
    with django_assert_num_queries(1):
        key = board_order._free_key(project, "V", None)
    assert key == key_between("V", k2)
    with django_assert_num_queries(1):
        assert board_order._free_key(project, "V", None, exclude_pk=b.pk) == k0
    # More than one query's worth of held keys: the search goes on.
    held = [k2]
    for card in _cards(project, owner, 8):
        held.append(key_between("V", held[-1]))
        Task.objects.filter(pk=card.pk).update(board_key=held[-1], status="done")
    with django_assert_num_queries(2):
        key = board_order._free_key(project, "V", None)
    assert key == key_between("V", held[-1]) and len(set(held)) == 9


@pytest.mark.django_db
def test_a_rebalanced_board_of_a_thousand_cards_has_short_keys_and_moves_do_not_rebalance(
    project: Project, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Task.objects.bulk_create(
        Task(
            project=project,
            organisation_id=project.organisation_id,
            name=f"C{i}",
            status="todo" if i % 3 else "doing",
            board_key=board_order.parked_key(f"bulk{i}"),
        )
        for i in range(1_000)
    )
    assert board_order.rebalance(project) == 1_000
    keys = list(Task.objects.filter(project=project).values_list("board_key", flat=True))
    # Evenly spread: three characters (appended one by one they reached 17, over the bound of
    # 16, so every move to a column's end rebalanced all 1,000 cards again).
    assert max(map(len, keys)) == 3 and all(is_valid_key(k) for k in keys)
    calls: list[Project] = []
    monkeypatch.setattr(board_order, "rebalance", calls.append)
    card = Task.objects.filter(project=project, status="doing").order_by("pk").first()
    assert card is not None
    for step in range(60):  # back and forth, each time to the end of the other column
        card.refresh_from_db()
        status = ("todo", "doing")[step % 2]
        services.move_card(actor=owner, task=card, status=status, expected_version=card.version)
        last = Task.objects.filter(project=project, status=status).order_by("-board_key").first()
        assert last is not None and last.pk == card.pk
    assert calls == []
    card.refresh_from_db()
    assert len(card.board_key) <= 8


@pytest.mark.django_db
def test_the_database_orders_keys_as_the_key_algebra_does(project: Project, owner: Any) -> None:
    """Keys are ordered byte by byte (``0-9A-Za-z``) on every database, whatever its collation:
    under a linguistic one (CI's PostgreSQL sorts by ICU's en-US) "NTi" < "NTZ" and "a0" < "Z"
    unless the columns say otherwise."""
    keys = ["NTZ", "NTi", "Nb", "NX", "a0", "Z", "V", "Va", "0z", "zz"]
    for i, key in enumerate(keys):
        Task.objects.create(
            organisation=project.organisation,
            project=project,
            name=f"K{i}",
            position=key,
            board_key=key,
        )
    rows = Task.objects.filter(project=project)
    assert list(rows.order_by("board_key").values_list("board_key", flat=True)) == sorted(keys)
    assert list(rows.order_by("position").values_list("position", flat=True)) == sorted(keys)
    assert list(
        rows.filter(board_key__gt="Z").values_list("board_key", flat=True).order_by("board_key")
    ) == ["a0", "zz"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, collation_name FROM information_schema.columns"
                " WHERE table_name = 'projects_task' AND column_name IN ('board_key', 'position')"
                " ORDER BY column_name"
            )
            assert cursor.fetchall() == [("board_key", "C"), ("position", "C")]
