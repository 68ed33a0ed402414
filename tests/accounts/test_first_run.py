"""First run: the set-up page, then the sign-up setting."""

from __future__ import annotations

import re

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


def test_sign_up_is_closed_by_default_and_opens_with_the_setting(
    client, make_user, mailoutbox, django_capture_on_commit_callbacks
):
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
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/sign-up/",
            {"full_name": "Bo", "email": "bo@example.com", "password": "tulips in april"},
        )
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    bo = User.objects.get(email="bo@example.com")
    assert (bo.is_active, bo.memberships.count()) == (False, 0)
    # The account opens only through the link e-mailed to the address, once.
    [mail] = mailoutbox
    link = re.search(r"https?://[^/\s]+(/accounts/sign-up/confirm/\S+)", mail.body)
    assert link is not None and mail.subject == "Confirm your Twofold account"
    assert (
        client.post(
            "/accounts/sign-in/", {"email": "bo@example.com", "password": "tulips in april"}
        ).status_code
        != 302
    )
    # The link asks first: opening it on the GET let another site sign a visitor into an
    # account of its choosing with its own unused link (an image was enough).
    asked = client.get(link.group(1))
    assert asked.status_code == 200 and "Open my account" in asked.content.decode()
    assert not User.objects.get(email="bo@example.com").is_active
    opened = client.post(link.group(1))
    assert (opened.status_code, opened["Location"]) == (302, "/accounts/organisation/new/")
    assert User.objects.get(email="bo@example.com").is_active
    client.logout()
    assert client.get(link.group(1)).status_code == 400  # used
    assert client.post(link.group(1)).status_code == 400


def test_sign_up_proves_the_address_and_tells_nothing_about_accounts(
    client, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    """Anyone could sign up with a colleague's address and, once an owner added that address
    on People, was let into the organisation (no invitation went out: the account existed);
    signing up with an address that had an account said so (account enumeration)."""
    from twofold.accounts.models import Organisation

    owner = make_user(email="own@example.com")
    org = Organisation.objects.create(name="Halvorsen", slug="halvorsen")
    services.Membership.objects.create(organisation=org, user=owner, role="owner")
    instance = InstanceSettings.load()
    instance.allow_signup = True
    instance.save()
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(
            "/accounts/sign-up/",
            {"full_name": "Eve", "email": "own@example.com", "password": "tulips in april"},
        )
        fresh = client.post(
            "/accounts/sign-up/",
            {"full_name": "Eve", "email": "bob@example.com", "password": "tulips in april"},
        )
    assert taken.status_code == fresh.status_code == 200
    assert "Check your e-mail" in taken.content.decode()
    assert [m.subject for m in mailoutbox] == [
        "You already have a Twofold account",
        "Confirm your Twofold account",
    ]
    # The owner adds bob@: the real Bob is invited and chooses the password; Eve's is gone.
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(actor=owner, organisation=org, email="bob@example.com", role="member")
    bob = User.objects.get(email="bob@example.com")
    assert bob.is_active and not bob.has_usable_password()
    assert mailoutbox[-1].subject == "You are invited to an organisation on Twofold"
    assert (
        client.post(
            "/accounts/sign-in/", {"email": "bob@example.com", "password": "tulips in april"}
        ).status_code
        != 302
    )
    # Eve's confirmation link no longer opens anything.
    link = re.search(r"https?://[^/\s]+(/accounts/sign-up/confirm/\S+)", mailoutbox[1].body)
    assert link is not None and client.get(link.group(1)).status_code == 400


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


def test_sign_up_mails_to_one_address_are_limited(
    client, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    """Sign-up had no limit: anyone could flood an address with confirmation e-mails."""
    make_user()  # an instance already set up
    instance = InstanceSettings.load()
    instance.allow_signup = True
    instance.save()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                "/accounts/sign-up/",
                {"full_name": "Bo", "email": "bo@example.com", "password": "tulips in april"},
            )
        assert answer.status_code == 200 and "Check your e-mail" in answer.content.decode()
    assert len(mailoutbox) == 3
