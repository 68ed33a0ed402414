"""Shared fixtures: builders for organisations and people, an API client with a token."""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from twofold.accounts.models import Membership, Organisation, Role, User

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    # Tests do not run collectstatic; the manifest storage would refuse unknown files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: SQLite gives ids again after a rollback, so a
    figure cached under one test's process or project id was read by the next test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _account_mail_at_once(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Account e-mails (reset, sign-up, invitations) go through the outbox in production
    (``accounts.mail``); tests read them from ``mail.outbox`` at once, as when no deliverer is
    registered. ``@pytest.mark.outbox_mail`` keeps the real path
    (tests/accounts/test_account_mail.py)."""
    if request.node.get_closest_marker("outbox_mail"):
        return
    from twofold.accounts import mail

    monkeypatch.setattr(mail, "_deliverers", [])


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Outbound connections are refused in tests, except to this machine."""
    if request.node.get_closest_marker("browser"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith(("127.", "/")) or host in {"localhost", "::1"}
        ):
            raise RuntimeError(f"Tests must not reach the network (tried {address!r}).")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def build(
        email: str | None = None, password: str = "correct horse battery", **extra: Any
    ) -> User:
        n = next(_seq)
        extra.setdefault("full_name", f"Person {n}")
        return User.objects.create_user(
            email=email or f"person{n}@example.com", password=password, **extra
        )

    return build


@pytest.fixture
def make_org(db: None) -> Callable[..., Organisation]:
    def build(name: str | None = None) -> Organisation:
        n = next(_seq)
        return Organisation.objects.create(name=name or f"Org {n}", slug=f"org-{n}")

    return build


@pytest.fixture
def member(make_user: Callable[..., User]) -> Callable[..., User]:
    """``member(org, role)`` → a new user with that role in ``org``."""

    def build(org: Organisation, role: str = Role.MEMBER, **extra: Any) -> User:
        user = make_user(**extra)
        Membership.objects.create(organisation=org, user=user, role=role)
        return user

    return build


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org("Acme Engineering")


@pytest.fixture
def owner(org: Organisation, member: Callable[..., User]) -> User:
    return member(org, Role.OWNER, full_name="Olivia Owner")


@pytest.fixture
def outsider(make_org: Callable[..., Organisation], member: Callable[..., User]) -> User:
    """An owner of another organisation: must see nothing of ``org``."""
    return member(make_org("Rival Ltd"), Role.OWNER, full_name="Oscar Outsider")


@pytest.fixture
def api_token(db: None) -> Callable[[User], str]:
    from twofold.accounts.services import create_api_token

    def build(user: User, days: int | None = 30) -> str:
        _token, secret = create_api_token(actor=user, name="tests", expires_in_days=days)
        return secret

    return build


@pytest.fixture
def api(client: Any, api_token: Callable[[User], str]) -> Callable[[User], Any]:
    """``api(user)`` → a client whose requests carry the user's bearer token."""

    class ApiClient:
        def __init__(self, token: str) -> None:
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def _call(self, method: str, path: str, data: Any = None) -> Any:
            kwargs: dict[str, Any] = dict(self.headers)
            if data is not None:
                kwargs["data"] = data
                kwargs["content_type"] = "application/json"
            return getattr(client, method)(path, **kwargs)

        def get(self, path: str) -> Any:
            return self._call("get", path)

        def post(self, path: str, data: Any = None) -> Any:
            return self._call("post", path, data if data is not None else {})

        def patch(self, path: str, data: Any) -> Any:
            return self._call("patch", path, data)

        def put(self, path: str, data: Any) -> Any:
            return self._call("put", path, data)

        def delete(self, path: str) -> Any:
            return self._call("delete", path)

    return lambda user: ApiClient(api_token(user))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from tests import dbtemplate

    dbtemplate.install()  # test databases copied from a migrated template (tests/dbtemplate.py)
    dbtemplate.install_quick_flush()  # PostgreSQL's test databases emptied with DELETE


# Tests that take tens of seconds each (measured with --durations in CI). They are handed out
# first within their kind (pytest-django then runs transactional tests after the others), so
# that pytest-xdist's workers start them early instead of one worker finishing the run alone
# on one of them while the other core idles.
SLOW_FIRST = (
    "tests/security/test_permission_matrix.py::test_every_cell",
    "tests/core/test_cli.py",
    "tests/operations/test_admin.py::test_large_demo_data_is_consistent",
    "tests/projects/test_board_order.py::test_four_hundred_moves",
    "tests/accounts/test_organisations.py::test_deleting_an_organisation",
)


@pytest.hookimpl(tryfirst=True)  # before pytest-django's (stable) sort by kind of database use
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = [item for item in items if item.nodeid.startswith(SLOW_FIRST)]
    if slow:
        first = set(map(id, slow))
        items[:] = slow + [item for item in items if id(item) not in first]


@pytest.fixture
def signed_in(client: Any) -> Callable[[User], Any]:
    def sign_in(user: User) -> Any:
        client.force_login(user)
        return client

    return sign_in


_demo_snapshot: sqlite3.Connection | None = None
_demo_summary = ""


@pytest.fixture
def demo_org(transactional_db: None, _drop_postgres_copies: None) -> Organisation:
    """The demo organisation (Halvorsen Precision), loaded for each test into a clean database.

    The demo is loaded once per test process and copied back before each later test (about a
    second instead of the six or seven of a load): on the in-memory SQLite test database with
    SQLite's online backup API, on PostgreSQL as a database created from a copy
    (:func:`_postgres_copy`). The test runs outside a wrapping transaction and the database is
    emptied after it, as with ``transactional_db``.
    """
    global _demo_snapshot, _demo_summary
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.db import connection

    from twofold.demo.loader import load_demo

    copied_back = False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.ensure_connection()
        raw = connection.connection
        if _demo_snapshot is None:
            _demo_summary = load_demo()
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            raw.backup(snapshot)
            _demo_snapshot = snapshot
        else:
            _demo_snapshot.backup(raw)
            copied_back = True
    elif connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        copy = f"{name}_demo"
        if copy not in _postgres_copies:
            _demo_summary = load_demo()
            _postgres_copy(connection, name, copy)
            _postgres_copies.append(copy)
        else:
            _postgres_copy(connection, copy, name)
            copied_back = True
    else:
        _demo_summary = load_demo()
    if copied_back:  # rows changed under the process's caches
        ContentType.objects.clear_cache()
        cache.clear()
    return Organisation.objects.get(slug="halvorsen")


_postgres_copies: list[str] = []  # databases holding a copy of this process's demo


def _postgres_copy(connection: Any, source: str, target: str) -> None:
    """Make ``target`` a copy of ``source`` (replacing it) on the test database's cluster.

    ``CREATE DATABASE ... TEMPLATE`` copies the files of a database no one is connected to:
    this thread's connections are closed first (they reconnect on their next query), and
    ``DROP ... WITH (FORCE)`` ends any other session still on the database being replaced
    (a live server's thread).
    """
    from django.db import connections

    connections.close_all()
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(source)}")


@pytest.fixture(scope="session")
def _drop_postgres_copies(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Drops the demo's copies at the end of the session, before the test database goes."""
    yield
    if _postgres_copies:
        from django.db import connection

        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            for name in _postgres_copies:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


@pytest.fixture
def demo_summary(demo_org: Organisation) -> str:
    """What loading the demo printed (``load_demo``'s summary), with the demo loaded."""
    return _demo_summary


@pytest.fixture
def threads_share_db() -> None:
    """For tests whose threads race on the database: skipped on the in-memory SQLite test
    database, which threads cannot share (.ci/run runs them on an SQLite file and on
    PostgreSQL)."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "threads cannot share the in-memory SQLite test database; .ci/run runs this on an "
            "SQLite file (TWOFOLD_SQLITE_TEST_FILE) and on PostgreSQL"
        )
