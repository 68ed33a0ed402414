"""Ids beyond 64 bits in a multiple choice are a form error, not a 500 (a review found five)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from twofold.accounts.models import Team, User
from twofold.core.fields import IdMultipleChoiceField
from twofold.projects import services as project_services

HUGE = str(2**63)


def test_the_field_refuses_an_id_beyond_64_bits_as_an_invalid_choice(owner: Any) -> None:
    field = IdMultipleChoiceField(queryset=User.objects.all())
    with pytest.raises(ValidationError) as refused:
        field.clean([str(owner.pk), HUGE])
    assert refused.value.messages == [
        f"Select a valid choice. {HUGE} is not one of the available choices."
    ]
    assert list(field.clean([str(owner.pk)])) == [owner]
    for signed in ("-9223372036854775809", "+9223372036854775808"):  # past the check before
        with pytest.raises(ValidationError):
            field.clean([signed])


def test_pages_answer_a_huge_id_with_the_form_and_its_message(
    client: Any, org: Any, owner: Any
) -> None:
    client.force_login(owner)
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press", code="PR", target_start=dt.date(2026, 3, 2)
    )
    posts = [
        ("/accounts/teams/", {"name": "Night shift", "members": [str(owner.pk), HUGE]}),
        ("/changes/board/", {"people": [HUGE], "seen": ""}),
        (
            f"/risks/projects/{project.pk}/new/",
            {"title": "Late steel", "probability": "3", "impact": "3", "tasks": [HUGE]},
        ),
    ]
    for url, data in posts:
        r = client.post(url, data)
        assert r.status_code in (400, 422), (url, r.status_code)
        assert "is not one of the available choices" in r.content.decode(), url
    assert not Team.objects.exists()
