"""The `twofold` console command."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from twofold import cli
from twofold.accounts.models import Membership, Organisation, Role, User


@pytest.mark.django_db
def test_demo_loads_once_and_the_demo_user_can_sign_in(client, capsys):
    call_command("demo", "--if-empty")
    assert "Demo loaded: Halvorsen Precision with 23 people in 8 teams" in capsys.readouterr().out
    call_command("demo", "--if-empty")
    assert "already has data" in capsys.readouterr().out
    assert Organisation.objects.count() == 1
    dana = User.objects.get(email=cli.DEMO_EMAIL)
    assert Membership.objects.get(user=dana).role == Role.OWNER
    response = client.post(
        "/accounts/sign-in/", {"email": cli.DEMO_EMAIL, "password": cli.DEMO_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["migrate"], ["migrate", "--noinput"]),
        (["demo", "--if-empty"], ["demo", "--scale", "normal", "--if-empty"]),
        (["demo", "--scale", "large"], ["demo", "--scale", "large"]),
        (["worker", "--once"], ["worker", "--once"]),
        (["manage", "check", "--deploy"], ["check", "--deploy"]),
    ],
)
def test_commands_reach_django(monkeypatch, argv, expected):
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "_manage", lambda args: calls.append(list(args)) or 0)
    assert cli.main(argv) == 0
    assert calls == [expected]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "migrate", "demo", "worker", "mspdi-check", "manage"):
        assert command in out
