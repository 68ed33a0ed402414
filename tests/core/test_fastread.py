"""The reads every request makes (session, user, memberships) compiled once: they must build
exactly what the ORM builds, on SQLite and PostgreSQL, and keep the session's semantics."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from twofold.accounts.auth import EmailBackend
from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core.fastread import FastRead
from twofold.core.policy import memberships_of
from twofold.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _fields(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_user_is_built_as_the_orm_builds_it(make_user: Any) -> None:
    user = make_user(full_name="Zoë Ödegaard", job_title="Planner <lead>")
    User.objects.filter(pk=user.pk).update(
        last_login=dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC),
        weekly_capacity_hours=decimal.Decimal("37.50"),
        is_staff=True,
        timezone="Europe/Lisbon",
    )
    fast = FastRead(User, "t.id = %s").first([user.pk])
    orm = User.objects.get(pk=user.pk)
    assert fast is not None and type(fast) is User
    assert _fields(fast) == _fields(orm)
    assert fast.last_login == dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC)
    assert fast.weekly_capacity_hours == decimal.Decimal("37.50")
    assert isinstance(fast.weekly_capacity_hours, decimal.Decimal)
    assert fast.is_staff is True and fast.is_superuser is False
    assert fast._state.adding is False and fast._state.db == "default"
    assert FastRead(User, "t.id = %s").first([user.pk + 1000]) is None


def test_memberships_come_with_their_organisations_in_name_order(
    make_org: Any, member: Any, django_assert_num_queries: Any
) -> None:
    beta, alpha = make_org(name="Beta works"), make_org(name="Alpha & sons")
    user = member(beta, Role.ADMIN)
    Membership.objects.create(user=user, organisation=alpha, role=Role.GUEST)
    member(alpha, Role.OWNER)  # someone else's membership is not read
    expected = list(
        Membership.objects.filter(user_id=user.pk)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        found = memberships_of(fresh)
        names = [m.organisation.name for m in found]  # no query: the join is cached
        assert memberships_of(fresh) is found  # kept for the request
    assert names == ["Alpha & sons", "Beta works"]
    assert [_fields(m) for m in found] == [_fields(m) for m in expected]
    assert [_fields(m.organisation) for m in found] == [_fields(m.organisation) for m in expected]
    assert all(type(m.organisation) is Organisation for m in found)


def test_the_backend_reads_active_users_only(make_user: Any) -> None:
    user = make_user()
    assert EmailBackend().get_user(user.pk) == user
    assert EmailBackend().get_user(str(user.pk)) == user  # the session stores it as text
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert EmailBackend().get_user(user.pk) is None
    assert EmailBackend().get_user(user.pk + 1000) is None


def test_sessions_load_save_expire_and_end_as_django_db_sessions_do() -> None:
    store = SessionStore()
    store["twofold_organisation_id"] = 7
    store.create()
    key = store.session_key
    assert SessionStore(key).load() == {"twofold_organisation_id": 7}
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key on the next save, as Django's db store
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + dt.timedelta(days=1)
    )
    SessionStore(key).delete()  # sign-out
    assert SessionStore(key).load() == {}


def test_the_backend_reads_the_user_with_the_memberships_in_one_query(
    make_org: Any, member: Any, make_user: Any, django_assert_num_queries: Any
) -> None:
    beta, alpha = make_org(name="Beta works"), make_org(name="Alpha & sons")
    user = member(beta, Role.ADMIN)
    Membership.objects.create(user=user, organisation=alpha, role=Role.GUEST)
    member(alpha, Role.OWNER)  # someone else's membership is not read
    expected = memberships_of(User.objects.get(pk=user.pk))
    with django_assert_num_queries(1):
        found = EmailBackend().get_user(str(user.pk))
        assert found is not None and _fields(found) == _fields(user)
        kept = memberships_of(found)  # no query: read with the user
        assert [m.organisation.name for m in kept] == ["Alpha & sons", "Beta works"]
        assert all(m.user is found for m in kept)
    assert [_fields(m) for m in kept] == [_fields(m) for m in expected]
    assert [_fields(m.organisation) for m in kept] == [_fields(m.organisation) for m in expected]
    loner = make_user()  # no organisation yet (first run, an invitation not accepted)
    with django_assert_num_queries(2):
        assert EmailBackend().get_user(loner.pk) == loner
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert EmailBackend().get_user(user.pk) is None


def test_a_signed_in_request_reads_session_then_user_and_memberships_in_two_queries(
    client: Any, org: Any, owner: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(owner)
    with django_assert_num_queries(2):
        r = client.get("/api/me")
    assert r.status_code == 200 and r.json()["email"] == owner.email
    client.logout()
    assert client.get("/api/me").status_code == 401


def test_a_deferred_field_is_left_unread_and_read_on_first_access(
    make_user: Any, django_assert_num_queries: Any
) -> None:
    user = make_user(full_name="Zoë Ödegaard", job_title="Planner <lead>")
    read = FastRead(User, "t.id = %s", defer=("job_title",))
    with django_assert_num_queries(1) as ctx:
        fast = read.first([user.pk])
    assert '"job_title"' not in ctx.captured_queries[0]["sql"]
    assert fast is not None and fast.get_deferred_fields() == {"job_title"}
    assert fast.full_name == "Zoë Ödegaard"
    with django_assert_num_queries(1):
        assert fast.job_title == "Planner <lead>"  # as QuerySet.defer: one read on access
    assert _fields(fast) == _fields(User.objects.get(pk=user.pk))
    with pytest.raises(AssertionError, match="cannot be deferred"):
        FastRead(User, "t.id = %s", defer=("id",))


def test_reads_ahead_answer_as_the_reads_do_in_one_round_trip(
    make_org: Any, member: Any, django_assert_num_queries: Any
) -> None:
    """On PostgreSQL the reads are sent together and taken by their first call; on SQLite
    nothing is read ahead. Either way the answers and the logged statements are the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.core.fastread import FastRows, one_round_trip

    org = make_org(name="Alpha")
    user = member(org, Role.ADMIN)
    by_id = FastRead(User, "t.id = %s")
    names = FastRows(User, lambda pk: User.objects.filter(pk=pk).values_list("email"))
    expected = (_fields(user), [(user.email,)], [m.pk for m in memberships_of(user)])
    from twofold.core.policy import _MEMBERSHIPS

    through_cursor: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        through_cursor.append(sql)
        return execute(sql, params, many, context)

    reads = [(by_id, [user.pk]), (names, [user.pk]), (_MEMBERSHIPS, [user.pk])]
    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(count):
        with one_round_trip(reads):
            found = by_id.first([user.pk])
            rows = names.rows(user.pk)
            kept = _MEMBERSHIPS.all([user.pk])
            again = by_id.first([user.pk])  # taken already: a query
            other = by_id.first([user.pk + 1000])  # not read ahead: a query
        after = by_id.first([user.pk])
    assert found is not None and again is not None and after is not None and other is None
    assert (_fields(found), rows, [m.pk for m in kept]) == expected
    assert _fields(again) == _fields(after) == expected[0]
    assert kept[0].organisation.name == "Alpha"  # the join, built as without the block
    assert len(logged.captured_queries) == 6  # every statement is logged either way
    ahead = 3 if connection.vendor == "postgresql" else 0
    assert len(through_cursor) == 6 - ahead


def test_without_pipeline_mode_the_reads_run_where_they_are_called(
    make_org: Any, member: Any, monkeypatch: Any
) -> None:
    """A libpq older than 14 has no pipeline mode: nothing is read ahead, nothing fails."""
    from django.db import connection

    from twofold.core import fastread

    user = member(make_org(name="Alpha"), Role.ADMIN)
    by_id = FastRead(User, "t.id = %s")
    monkeypatch.setattr(fastread, "_pipelines", lambda: False)
    through_cursor: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        through_cursor.append(sql)
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(count),
        fastread.one_round_trip([(by_id, [user.pk]), (by_id, [user.pk + 1])]),
    ):
        found = by_id.first([user.pk])
    assert found is not None and _fields(found) == _fields(user)
    assert len(through_cursor) == 1


def test_a_block_inside_another_sends_only_what_the_outer_one_has_not(
    make_org: Any, member: Any
) -> None:
    """A selector that reads ahead for itself (a project's card) inside a page that read its
    reads ahead already: nothing is sent twice; what the inner block adds is kept with the
    outer one's until the outer block ends."""
    from django.db import connection

    from twofold.core.fastread import FastRows, one_round_trip

    org = make_org(name="Alpha")
    user = member(org, Role.ADMIN)
    other = member(org, Role.MEMBER)
    by_id = FastRead(User, "t.id = %s")
    names = FastRows(User, lambda pk: User.objects.filter(pk=pk).values_list("email"))
    through_cursor: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        through_cursor.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        with one_round_trip([(by_id, [user.pk]), (names, [user.pk])]):
            with one_round_trip([(names, [user.pk]), (names, [other.pk]), (by_id, [other.pk])]):
                assert names.rows(user.pk) == [(user.email,)]
                assert names.rows(other.pk) == [(other.email,)]
            found = by_id.first([user.pk])
            second = by_id.first([other.pk])  # sent by the inner block, taken after it
        assert found is not None and second is not None and second.email == other.email
    # PostgreSQL: nothing through the cursor (five reads in two round trips); SQLite: each read
    assert len(through_cursor) == (0 if connection.vendor == "postgresql" else 4)
