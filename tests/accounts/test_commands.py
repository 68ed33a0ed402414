"""Operators' commands: ``twofold createuser`` and ``twofold createorg``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from twofold import cli
from twofold.accounts.models import Membership, Organisation, Role, User


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


def test_createuser_then_createorg(db, stdin):
    stdin("plum tree blossom\n")
    out = _run("createuser", "Ops@Example.com", "--name", "Oda Ops", "--password-from-stdin")
    user = User.objects.get()
    assert out == f"Created ops@example.com (id {user.pk}).\n"
    assert (user.full_name, user.check_password("plum tree blossom"), user.is_superuser) == (
        "Oda Ops",
        True,
        False,
    )
    out = _run(
        "createorg", "North Plant", "--owner", "OPS@example.com", "--timezone", "Europe/Oslo"
    )
    org = Organisation.objects.get()
    assert out == f"Created North Plant (slug north-plant, id {org.pk}), owner ops@example.com.\n"
    assert (org.timezone, Membership.objects.get().role) == ("Europe/Oslo", Role.OWNER)


def test_createuser_prompts_twice(db, monkeypatch):
    answers = iter(["plum tree blossom", "plum tree blossom"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    _run("createuser", "p@example.com", "--admin")
    assert User.objects.get().is_superuser is True


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["createuser", "nope"], "plum tree blossom", "email: Enter a valid e-mail address."),
        (["createuser", "a@example.com"], "123", "password: This password is too short."),
    ],
)
def test_createuser_bad_input(db, stdin, args, password, message):
    stdin(password + "\n")
    with pytest.raises(CommandError, match=message.split(".")[0]):
        _run(*args, "--password-from-stdin")
    assert User.objects.count() == 0


def test_createuser_refuses_a_known_email(make_user, stdin):
    make_user(email="a@example.com")
    stdin("plum tree blossom\n")
    with pytest.raises(CommandError, match="already an account"):
        _run("createuser", "A@example.com", "--password-from-stdin")


def test_createorg_bad_input(make_user):
    make_user(email="a@example.com")
    with pytest.raises(CommandError, match=r"No person with e-mail b@example\.com"):
        _run("createorg", "X", "--owner", "b@example.com")
    with pytest.raises(CommandError, match="timezone: Unknown time zone"):
        _run("createorg", "X", "--owner", "a@example.com", "--timezone", "Mars/Base")
    with pytest.raises(CommandError, match="name: An organisation needs a name"):
        _run("createorg", " ", "--owner", "a@example.com")
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["createuser", "a@example.com", "--admin"], ["createuser", "a@example.com", "--admin"]),
        (
            ["createorg", "X", "--owner", "a@example.com"],
            ["createorg", "X", "--owner", "a@example.com"],
        ),
    ],
)
def test_the_twofold_command_runs_them(monkeypatch, argv, expected):
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "_manage", lambda args: calls.append(list(args)) or 0)
    assert cli.main(argv) == 0
    assert calls == [expected]


def test_serve_says_where_to_begin(db, make_user):
    assert cli._sign_in_hint() == "Open it to set up your organisation  (Ctrl+C stops it)\n"
    make_user(email=cli.DEMO_EMAIL)
    assert cli._sign_in_hint().startswith(f"Sign in as {cli.DEMO_EMAIL} with password")
