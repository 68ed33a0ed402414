"""First run: the set-up page, then the sign-up setting."""

from __future__ import annotations

import pytest

from twofold.accounts import services
from twofold.accounts.middleware import forget_users
from twofold.accounts.models import InstanceSettings, Membership, Organisation, Role, User

GOOD = {
    "full_name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "password": "analytical engine 1843",
    "organisation_name": "Difference Works",
    "timezone": "Europe/Berlin",
}


@pytest.fixture(autouse=True)
def _fresh_instance():
    forget_users()
    yield
    forget_users()


def test_every_page_leads_to_set_up_on_an_empty_instance(client, db):
    for path in ["/", "/projects/", "/accounts/sign-in/", "/accounts/people/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/accounts/setup/"), path
    assert client.get("/accounts/setup/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_set_up_creates_the_first_person_and_their_organisation(client, db):
    response = client.post("/accounts/setup/", GOOD)
    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get()
    org = Organisation.objects.get()
    assert (user.email, user.full_name, user.is_superuser) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
    )
    assert (org.name, org.slug, org.timezone) == (
        "Difference Works",
        "difference-works",
        "Europe/Berlin",
    )
    assert Membership.objects.get().role == Role.OWNER
    assert InstanceSettings.objects.get().set_up_at is not None
    page = client.get("/").content.decode()
    assert "Difference Works" in page
    # Once anyone exists the set-up page is gone.
    client.logout()
    assert client.get("/accounts/setup/").status_code == 404
    assert client.post("/accounts/setup/", {**GOOD, "email": "eve@example.com"}).status_code == 404
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"password": "12345678"}, "password", "This password is entirely numeric."),
        ({"password": "ada"}, "password", "This password is too short."),
        ({"organisation_name": "   "}, "organisation_name", "This field is required."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ],
)
def test_set_up_bad_input_says_what_is_wrong_and_creates_nothing(
    client, db, change, field, message
):
    response = client.post("/accounts/setup/", {**GOOD, **change})
    assert response.status_code in {400, 422}
    assert message in response.content.decode()
    assert User.objects.count() == 0 and Organisation.objects.count() == 0


def test_set_up_refuses_a_ten_thousand_character_name(client, db):
    response = client.post("/accounts/setup/", {**GOOD, "organisation_name": "x" * 10_000})
    assert response.status_code == 422
    assert "at most 120 characters (this one has 10000)" in response.content.decode()
    assert User.objects.count() == 0


def test_a_second_set_up_loses(db):
    services.set_up_instance(**GOOD)
    with pytest.raises(services.SetUpDone):
        services.set_up_instance(**{**GOOD, "email": "eve@example.com"})
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_sign_up_is_closed_by_default_and_opens_with_the_setting(client, make_user):
    admin = make_user(is_superuser=True)
    assert client.get("/accounts/sign-up/").status_code == 404
    assert "Create an account" not in client.get("/accounts/sign-in/").content.decode()
    client.force_login(admin)
    instance = InstanceSettings.load()
    response = client.post(
        "/accounts/instance/", {"allow_signup": "on", "version": instance.version}
    )
    assert response.status_code == 302
    client.logout()
    assert "Create an account" in client.get("/accounts/sign-in/").content.decode()
    response = client.post(
        "/accounts/sign-up/",
        {"full_name": "Bo", "email": "bo@example.com", "password": "tulips in april"},
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/organisation/new/")
    assert User.objects.get(email="bo@example.com").memberships.count() == 0


def test_instance_settings_are_for_instance_administrators_only(client, make_user):
    client.force_login(make_user())
    assert client.get("/accounts/instance/").status_code == 404
    with pytest.raises(services.Forbidden):
        services.update_instance_settings(
            actor=User.objects.get(), expected_version=None, allow_signup=True
        )
    assert InstanceSettings.load().allow_signup is False


@pytest.mark.django_db(transaction=True)
def test_two_set_ups_at_once_exactly_one_wins():
    import threading

    from django.db import connection

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip(
            "threads cannot share the in-memory SQLite test database; .ci/run runs this on an "
            "SQLite file (TWOFOLD_SQLITE_TEST_FILE) and on PostgreSQL"
        )
    InstanceSettings.load()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def set_up(email: str) -> None:
        try:
            barrier.wait(timeout=5)
            services.set_up_instance(**{**GOOD, "email": email})
            results.append("created")
        except services.SetUpDone:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=set_up, args=(f"p{n}@example.com",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["created", "refused"]
    assert User.objects.count() == 1 and Organisation.objects.count() == 1
