"""Every route × every role, checked against ``permission_matrix.py``.

One seeded database for the whole module (the demo organisation plus one user per role and a
rival organisation); each cell runs in a savepoint that is rolled back, so cells never see each
other's writes. A denied write must leave every table exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tests.security import harness
from tests.security.permission_matrix import MATRIX

ROWS = harness.parse(MATRIX)
# MATRIX_ONLY=/risks/ runs only the lines that contain that text (while editing lines; several
# texts separated by commas: any of them);
# MATRIX_TRACE=1 (with -s) prints the traceback of a cell that raised.
ONLY = os.environ.get("MATRIX_ONLY", "")
# MATRIX_WRITES_ONLY=1 checks only the write rows (POST/PUT/PATCH/DELETE), MATRIX_READS_ONLY=1
# only the others (while working on one kind). `make test`, and so .ci/run, checks every cell
# on SQLite.
WRITES_ONLY = os.environ.get("MATRIX_WRITES_ONLY") == "1"
READS_ONLY = os.environ.get("MATRIX_READS_ONLY") == "1"

# Marked so that pytest-django creates the test database; the module's own transaction (below)
# holds the seed, and each test's transaction nests inside it.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[harness.World]:
    media = tempfile.mkdtemp(prefix="twofold-matrix-")
    fast = override_settings(
        MEDIA_ROOT=media,
        VAR_DIR=Path(media),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with fast, django_db_blocker.unblock():
        try:
            # Outside the world's transaction: a schema change inside it would make SQLite
            # reload the whole schema after every rolled-back cell (~13 ms a cell).
            harness.watch_writes()
            with transaction.atomic():  # the world, rolled back at the end
                try:
                    harness.restart_ids()
                    yield harness.seed()
                finally:
                    transaction.set_rollback(True)
        finally:
            harness.unwatch_writes()
            shutil.rmtree(media, ignore_errors=True)


def _observe(row: harness.Row, role: str, world: harness.World) -> tuple[str, list[str]]:
    """The outcome of one cell and, for a write, the tables it changed; always rolled back."""
    cache.clear()
    with transaction.atomic():
        mark = harness.write_mark()
        try:
            status, location = harness.request(row, role, world)
            got = harness.outcome(status, location)
        except Exception as exc:
            got = f"raised:{type(exc).__name__}"
            if os.environ.get("MATRIX_TRACE"):  # MATRIX_TRACE=1 with -s: where a cell raised
                traceback.print_exc()
        changed: list[str] = []
        denied_write = row.is_write and _is_denial(row.expected.get(role, ""))
        if denied_write:
            allowed = set(row.args.get("changes", "").split(","))
            after = harness.checksum(harness.tables_written(mark) - allowed)
            changed = sorted(t for t, s in after.items() if world.baseline.get(t) != s)
        transaction.set_rollback(True)
    return got, changed


def _is_denial(outcome: str) -> bool:
    return outcome == "login" or (outcome.isdigit() and int(outcome) >= 400)


def test_the_matrix_lists_every_route_and_only_routes_that_exist(world: harness.World) -> None:
    listed = [row.key for row in ROWS]
    # A route may be listed twice for one method with different bodies (a form's delete button)
    # or parameters (``project_id=@sponsored_project``).
    variants = [(row.method, row.route, row.body, tuple(sorted(row.args.items()))) for row in ROWS]
    duplicates = sorted({key for key in variants if variants.count(key) > 1})
    assert not duplicates, f"permission_matrix.py lists these twice: {duplicates}"

    existing = harness.expected_keys()
    stale = sorted(set(listed) - existing)
    missing = sorted(existing - set(listed))
    message = []
    if missing:
        drafts = []
        for method, route in missing:
            row = harness.Row(method, route, dict.fromkeys(harness.ROLES, "?"))
            observed = " ".join(_observe(row, role, world)[0] for role in harness.ROLES)
            drafts.append(f"{method:<6} {route:<72} {observed}")
        message.append(
            f"{len(missing)} route(s) are not in tests/security/permission_matrix.py. Add one line"
            " each to MATRIX (in its section; columns: method, route, then the outcome for"
            f" {' '.join(harness.ROLES)}). Here is what they answer today -- check every cell"
            " against the policy (guest reads, member edits work, admin manages structure, owner"
            " owns; another organisation's member gets 404, a signed-out API caller 401, a"
            " signed-out page visitor `login`) before pasting, and add a body after ` | ` when a"
            " write needs one to get past validation:\n" + "\n".join(drafts)
        )
    if stale:
        message.append(
            "These lines of tests/security/permission_matrix.py name routes that no longer"
            " exist; delete them (or fix the route):\n" + "\n".join(f"{m} {r}" for m, r in stale)
        )
    assert not message, "\n\n".join(message)


def test_the_checksum_sees_one_changed_value_in_its_table_only(world: harness.World) -> None:
    from twofold.risks.models import Risk

    with transaction.atomic():
        before = harness.checksum()
        first, second = Risk.objects.order_by("pk")[:2]
        # the same two titles, swapped: the table's set of titles is unchanged, its rows are not
        Risk.objects.filter(pk=first.pk).update(title=second.title)
        Risk.objects.filter(pk=second.pk).update(title=first.title)
        after = harness.checksum()
        transaction.set_rollback(True)
    assert first.title != second.title
    assert sorted(t for t in after if after[t] != before[t]) == ["risks_risk"]
    assert harness.checksum() == before == world.baseline

    # Values whose own hashes are equal: hash(-1) == hash(-2) in CPython.
    from twofold.projects.models import Link

    link = Link.objects.order_by("pk").first()
    assert link is not None
    with transaction.atomic():
        Link.objects.filter(pk=link.pk).update(lag=-1)
        lead_of_one = harness.checksum()["projects_link"]
        Link.objects.filter(pk=link.pk).update(lag=-2)
        lead_of_two = harness.checksum()["projects_link"]
        transaction.set_rollback(True)
    assert lead_of_one != lead_of_two


def test_the_matrix_digests_the_tables_a_write_wrote_and_no_other(world: harness.World) -> None:
    from django.db import connection

    from twofold.projects.models import Link
    from twofold.risks.models import Risk

    link = Link.objects.order_by("pk").first()
    assert link is not None
    mark = harness.write_mark()
    assert harness.tables_written(mark) == set()
    with transaction.atomic():
        mark = harness.write_mark()
        Risk.objects.filter(pk=Risk.objects.order_by("pk")[0].pk).update(title="Renamed")
        with connection.cursor() as cursor:  # raw SQL, not the ORM
            cursor.execute("UPDATE projects_link SET lag = lag + 1 WHERE id = %s", [link.pk])
        written = harness.tables_written(mark)
        transaction.set_rollback(True)
    assert {"risks_risk", "projects_link"} <= written
    assert "projects_task" not in written
    if connection.vendor == "sqlite":
        assert written == {"risks_risk", "projects_link"} | harness._UNWATCHED
        # a write rolled back (a refused request's savepoint) leaves no table to digest
        with transaction.atomic():
            mark = harness.write_mark()
            with transaction.atomic():
                Link.objects.filter(pk=link.pk).update(lag=7)
                transaction.set_rollback(True)
            assert harness.tables_written(mark) == harness._UNWATCHED
            transaction.set_rollback(True)


# Each part in shards, so that pytest-xdist spreads the cells over the cores (every worker seeds
# its own world once).
SHARDS = 8


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("part", ["pages", "api"])
def test_every_cell_answers_as_the_matrix_says_and_denials_change_nothing(
    world: harness.World, part: str, shard: int
) -> None:
    rows = [
        r
        for r in ROWS
        if r.is_api == (part == "api")
        and any(
            only in f"{r.method} {r.route}" + (f" | {r.body}" if r.body else "")
            for only in ONLY.split(",")
        )
        and (r.is_write or not WRITES_ONLY)
        and not (r.is_write and READS_ONLY)
    ][shard::SHARDS]
    wrong: list[str] = []
    started = time.monotonic()
    for row, role in harness.iter_cells(rows):
        expected = row.expected[role]
        got, changed = _observe(row, role, world)
        if got != expected:
            wrong.append(
                f"line {row.line}: {row.method} {row.route} as {role}: expected {expected}, got {got}"
            )
        if changed:
            wrong.append(
                f"line {row.line}: {row.method} {row.route} as {role} was refused ({got}) but"
                f" changed {', '.join(changed)}"
            )
    elapsed = time.monotonic() - started
    took = (
        f"{len(rows)} {part} rows (shard {shard}) × {len(harness.ROLES)} roles in {elapsed:.1f} s"
    )
    print(took)  # noqa: T201 -- the runtime, for -s
    assert not wrong, f"{len(wrong)} cell(s) differ from permission_matrix.py:\n" + "\n".join(wrong)
