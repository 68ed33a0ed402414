"""The `twofold` console command."""

from __future__ import annotations

import pytest

from twofold import cli
from twofold.accounts.models import Membership, Organisation, Role, User


@pytest.mark.django_db
def test_demo_loads_once_and_the_demo_user_can_sign_in(client, capsys):
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "Demo loaded: Halvorsen Precision with 23 people in 8 teams" in capsys.readouterr().out
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "already has data" in capsys.readouterr().out
    assert Organisation.objects.count() == 1
    dana = User.objects.get(email=cli.DEMO_EMAIL)
    assert Membership.objects.get(user=dana).role == Role.OWNER
    response = client.post(
        "/accounts/sign-in/", {"email": cli.DEMO_EMAIL, "password": cli.DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "migrate", "demo", "worker", "mspdi-check", "manage"):
        assert command in out
