"""A fresh organisation's lists say what to do next, with the button that does it."""

from __future__ import annotations

import pytest

from twofold.accounts.models import Role

FRESH_PAGES = [
    ("/", "No projects yet", 'href="/projects/new/">Create a project</a>'),
    ("/projects/", "No projects yet", 'href="/projects/new/">Create a project</a>'),
    ("/my-work/", "Nothing waiting for you", 'href="/">Open the portfolio</a>'),
    ("/accounts/people/", "Only you so far", 'href="#add-title">Add a person</a>'),
    ("/accounts/teams/", "No teams yet", 'href="#new-team">Create a team</a>'),
    ("/accounts/settings/tokens/", "No tokens yet", 'href="#new-token-title">Create a token</a>'),
    ("/reports/", "No projects yet.", 'href="/projects/">Start one from the projects list</a>'),
    ("/reports/", "No KPIs yet.", 'href="/operations/">Add a process and its KPIs'),
    ("/fields/", "No custom fields yet", 'href="#new-field">Add a field</a>'),
    (
        "/attachments/mentions/",
        "Nobody has mentioned you yet",
        'href="/my-work/">Go to my work</a>',
    ),
]


@pytest.mark.parametrize(("path", "title", "action"), FRESH_PAGES)
def test_a_fresh_organisation_says_what_to_do_next(client, org, owner, path, title, action):
    client.force_login(owner)
    html = client.get(path).content.decode()
    assert title in html
    assert action in html


def test_filters_that_match_nothing_offer_to_clear_them(client, org, owner):
    client.force_login(owner)
    html = client.get("/?phase=closure").content.decode()
    assert "No projects match" in html and ">Clear the filters</a>" in html


def test_a_member_who_cannot_create_is_told_who_can(client, org, member):
    client.force_login(member(org, Role.MEMBER))
    html = client.get("/").content.decode()
    assert "once an admin of your organisation creates them" in html
    assert "Create a project" not in html
