"""The directory stamp: who belongs where and people's names change it, whoever writes; other
columns of a user (a sign-in's last_login) do not; a request that may write reads its people
again."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from twofold.accounts import directory
from twofold.accounts.auth import EmailBackend
from twofold.accounts.models import Membership, Role, User
from twofold.core.middleware import CurrentOrganisationMiddleware

pytestmark = pytest.mark.django_db


def test_memberships_and_names_change_the_stamp_and_other_columns_do_not(
    org: Any, owner: Any, member: Any, make_user: Any
) -> None:
    seen = [directory.STAMP.current()]
    assert seen[0] is not None  # the migration's row

    def changed() -> bool:
        now = directory.STAMP.current()
        fresh = now not in seen
        seen.append(now)
        return fresh

    newcomer = make_user(full_name="New Comer")
    assert changed()  # a user row inserted
    joined = Membership.objects.create(user=newcomer, organisation=org, role=Role.GUEST)
    assert changed()
    Membership.objects.filter(pk=joined.pk).update(role=Role.MEMBER)
    assert changed()
    User.objects.filter(pk=newcomer.pk).update(full_name="Newly Come")
    assert changed()
    User.objects.filter(pk=newcomer.pk).update(email="newly@example.com")
    assert changed()
    User.objects.filter(pk=newcomer.pk).update(last_login=timezone.now(), job_title="Planner")
    assert not changed()  # not shown in a people select
    with connection.cursor() as cursor:  # raw SQL, as another tool would write
        cursor.execute("DELETE FROM accounts_membership WHERE id = %s", [joined.pk])
    assert changed()


def test_the_sign_in_read_leaves_the_stamp_on_the_organisations(
    org: Any, owner: Any, make_org: Any, django_assert_num_queries: Any
) -> None:
    other = make_org(name="Zeta Works")
    Membership.objects.create(user=owner, organisation=other, role=Role.GUEST)
    now = directory.STAMP.current()
    with django_assert_num_queries(1):
        user = EmailBackend().get_user(owner.pk)
    assert user is not None
    kept = [
        m.organisation.__dict__.get(directory.ATTR) for m in user.__dict__["_twofold_memberships"]
    ]
    assert kept == [now, now]


@pytest.mark.parametrize(("method", "kept"), [("get", True), ("head", True), ("post", False)])
def test_a_request_that_may_write_reads_its_people_again(
    org: Any, owner: Any, method: str, kept: bool
) -> None:
    user = EmailBackend().get_user(owner.pk)
    request = getattr(RequestFactory(), method)("/")
    request.user = user
    request.session = {}
    seen: list[bool] = []

    def view(request: Any) -> Any:
        seen.append(directory.ATTR in request.membership.organisation.__dict__)
        return None

    CurrentOrganisationMiddleware(view)(request)
    assert seen == [kept]


def test_without_the_stamp_row_nothing_is_kept_until_it_is_back(org: Any, owner: Any) -> None:
    directory.STAMP._model().objects.all().delete()
    user = EmailBackend().get_user(owner.pk)  # finds no stamp and puts the row back
    assert user is not None
    assert directory.ATTR not in user.__dict__["_twofold_memberships"][0].organisation.__dict__
    calls: list[int] = []
    for _ in range(2):
        directory.rows(org, "k", lambda: calls.append(1))
    assert calls == [1, 1]  # an organisation without a stamp: read every time
    again = EmailBackend().get_user(owner.pk)
    assert again is not None
    organisation = again.__dict__["_twofold_memberships"][0].organisation
    assert organisation.__dict__[directory.ATTR] == directory.STAMP.current()
    for _ in range(2):
        directory.rows(organisation, "k", lambda: calls.append(2) or calls)
    assert calls == [1, 1, 2]
