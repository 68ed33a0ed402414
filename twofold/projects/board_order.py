"""Board order: short, unique ordering keys for the cards of a project.

Cards carry a fractional-index key (``twofold.engine.ordering``): a move writes one row. Left
alone, keys grow: moving a card to the top of a column halves the gap each time (about one
character per five moves), so a member could grow a key past its column in seconds. Here:

* **Bound.** No key is longer than :data:`MAX_KEY_LENGTH` characters. When a move or a new
  card would need a longer one, the project's keys are rebalanced first: every card gets an
  evenly spread key in the same order (a few characters for thousands of cards), then the
  move is made.
* **Uniqueness.** Keys are unique within a project (a database constraint). All writers of a
  project's keys hold the project row's lock (``select_for_update``; SQLite serialises writers
  anyway), read the neighbours' *current* keys under it and place the card right after the
  card it was dropped below, so two moves into the same gap from boards that have not reloaded
  get different keys, and a rebalance never races a move.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from twofold.core.fastread import FastRows
from twofold.engine.ordering import is_valid_key, key_between, keys_between
from twofold.projects.models import Project, Task

MAX_KEY_LENGTH = 16
_PARKED = "~"  # not a base-62 digit: parked keys never collide with real ones


def parked_key(token: object) -> str:
    """A placeholder key for bulk-created cards that get their real keys later (unique for a
    unique ``token``; never equal to a real key)."""
    return f"{_PARKED}{token}"


# The placement's reads, compiled once per connection (core/fastread.py): through the ORM,
# building and compiling them was most of a card move's Python time. The column's neighbours
# are read as the first key above or below (keys are unique in a project). A new card has
# nothing to exclude: it passes _NOBODY.
_NOBODY = 0  # no row has id 0, so excluding it excludes nothing
_LOCK = FastRows(
    Project,
    lambda pk: Project.objects.select_for_update().filter(pk=pk).order_by().values_list("pk"),
)


def _in_column(project_id: int, status: str, exclude_pk: int) -> QuerySet[Task]:
    return Task.objects.filter(project_id=project_id).filter(status=status).exclude(pk=exclude_pk)


_KEY_OF = FastRows(
    Task,
    lambda project_id, status, exclude_pk, pk: (
        _in_column(project_id, status, exclude_pk)
        .filter(pk=pk)
        .order_by()
        .values_list("board_key")[:1]
    ),
)
_LAST = FastRows(
    Task,
    lambda project_id, status, exclude_pk: (
        _in_column(project_id, status, exclude_pk)
        .order_by("-board_key")
        .values_list("board_key")[:1]
    ),
)


def _nearest(lookup: str, order: str) -> FastRows:
    """The read of the column's first key past a given one (``lookup`` "gt" or "lt")."""
    return FastRows(
        Task,
        lambda project_id, status, exclude_pk, key: (
            _in_column(project_id, status, exclude_pk)
            .filter(**{f"board_key__{lookup}": key})
            .order_by(order)
            .values_list("board_key")[:1]
        ),
    )


_NEXT_AFTER = _nearest("gt", "board_key")
_LAST_BEFORE = _nearest("lt", "-board_key")


def _held_query(project_id: int, *keys_then_exclude: Any) -> Any:
    *keys, exclude_pk = keys_then_exclude
    return (
        Task.objects.filter(project_id=project_id)
        .filter(board_key__in=keys)
        .exclude(pk=exclude_pk)
        .order_by()
        .values_list("board_key")
    )


_HELD = FastRows(Task, _held_query)


def _one(rows: list[tuple[Any, ...]]) -> Any:
    return rows[0][0] if rows else None


def lock_board(project: Project) -> None:
    """Take the project row's lock for the rest of the transaction.

    On SQLite there is no row lock to take: its ``BEGIN IMMEDIATE`` transactions (see
    ``twofold.dburl``) already hold the database's write lock, and ``select_for_update`` would
    read the row without locking anything, so no query is made."""
    if connection.features.has_select_for_update:
        _LOCK.rows(project.pk)


def rebalance(project: Project) -> int:
    """Give every card of ``project`` a short key, keeping the order. Returns the card count.

    Call under :func:`lock_board`. Keys are first parked on values outside the key alphabet so
    that the second pass never meets a unique-constraint clash mid-statement (PostgreSQL checks
    non-deferrable constraints row by row).
    """
    pks = list(
        Task.objects.filter(project=project)
        .order_by("status", "board_key", "pk")
        .values_list("pk", flat=True)
    )
    assign_in_order([Task(pk=pk) for pk in pks])
    return len(pks)


def assign_in_order(cards: list[Task]) -> None:
    """Give the saved ``cards`` (all of one project) evenly spread keys in the order given.

    Keys are parked first, so reassigning a permutation of the same keys never clashes with
    the unique constraint mid-statement (PostgreSQL checks it row by row)."""
    if not cards:
        return
    for card in cards:
        card.board_key = parked_key(card.pk)
    Task.objects.bulk_update(cards, ["board_key"], batch_size=500)
    for card, key in zip(cards, keys_between(None, None, len(cards)), strict=True):
        card.board_key = key
    Task.objects.bulk_update(cards, ["board_key"], batch_size=500)


def _free_key(
    project: Project, above: str | None, below: str | None, exclude_pk: int = _NOBODY
) -> str:
    """A key strictly between ``above`` and ``below`` that no card of the project holds (the
    card being placed, ``exclude_pk``, may get its own key back)."""
    while True:
        # The keys the search would try in turn (each one narrows the gap towards ``above``
        # when another column holds the previous), checked in one query, not one by one.
        candidates = []
        for _ in range(_CANDIDATES):
            below = key_between(above, below)
            candidates.append(below)
        held = {row[0] for row in _HELD.rows(project.pk, *candidates, exclude_pk)}
        for key in candidates:
            if key not in held:
                return key


_CANDIDATES = 8  # keys checked per query by _free_key (a move usually needs the first or second)


def _neighbours(
    project_id: int, status: str, exclude_pk: int, after_pk: int | None, before_pk: int | None
) -> tuple[str | None, str | None]:
    """The keys around the place for a card (``exclude_pk``: the card itself when it moves):
    right below card ``after_pk`` if it is in the column, else right above ``before_pk``, else
    the end."""
    column = (project_id, status, exclude_pk)
    anchor = _one(_KEY_OF.rows(*column, after_pk)) if after_pk is not None else None
    if anchor is not None:
        return anchor, _one(_NEXT_AFTER.rows(*column, anchor))
    limit = _one(_KEY_OF.rows(*column, before_pk)) if before_pk is not None else None
    if limit is not None:
        return _one(_LAST_BEFORE.rows(*column, limit)), limit
    return _one(_LAST.rows(*column)), None


def place_card(
    project: Project,
    status: str,
    *,
    after_pk: int | None = None,
    before_pk: int | None = None,
    exclude_pk: int | None = None,
) -> str:
    """The key for a card put in column ``status`` right below card ``after_pk`` (or right
    above ``before_pk``; at the end of the column when neither is given, or when the card named
    is no longer in that column). Call under :func:`lock_board`; rebalances when needed."""
    excluded = _NOBODY if exclude_pk is None else exclude_pk
    for attempt in range(2):
        above, below = _neighbours(project.pk, status, excluded, after_pk, before_pk)
        usable = all(k is None or is_valid_key(k) for k in (above, below))
        if usable:
            key = _free_key(project, above, below, excluded)
            if len(key) <= MAX_KEY_LENGTH or attempt:
                return key
        rebalance(project)  # keys too long, or placeholders left by a bulk load
    raise AssertionError("unreachable")  # pragma: no cover
