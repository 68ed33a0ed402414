"""Assigning and re-prioritising requests: members only, SLA targets follow the priority."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.core.errors import Conflict, Invalid, NotFound
from twofold.core.history import history_for
from twofold.operations import assignment, selectors, services


@pytest.fixture
def req(queue: Any, owner: Any) -> Any:
    return services.create_request(actor=owner, queue=queue, title="Printer jams")


@pytest.fixture
def agent(org: Any, member: Any) -> Any:
    return member(org, Role.MEMBER, full_name="Ada Agent")


def test_assign_and_reassign_record_who_before_and_after(
    req: Any, owner: Any, agent: Any, org: Any, member: Any
) -> None:
    other = member(org, Role.MEMBER, full_name="Ben Other")
    assignment.assign_request(actor=owner, request=req, assignee=agent, expected_version=1)
    assignment.assign_request(actor=owner, request=req, assignee=other, expected_version=2)

    req.refresh_from_db()
    assert (req.assignee_id, req.version) == (other.pk, 3)
    entries = [(e.action, e.changes) for e in history_for(req, viewer=None)][:2]
    assert entries == [
        ("assigned", {"assignee": ["Ada Agent", "Ben Other"]}),
        ("assigned", {"assignee": ["nobody", "Ada Agent"]}),
    ]


@pytest.mark.parametrize("role", [None, Role.GUEST])
def test_only_members_can_be_assigned(
    req: Any, owner: Any, org: Any, member: Any, make_user: Any, role: Any
) -> None:
    person = make_user() if role is None else member(org, role)
    with pytest.raises(Invalid) as caught:
        assignment.assign_request(actor=owner, request=req, assignee=person, expected_version=1)
    assert caught.value.field == "assignee"
    req.refresh_from_db()
    assert (req.assignee_id, req.version) == (None, 1)


def test_a_stale_version_is_a_conflict(req: Any, owner: Any, agent: Any) -> None:
    with pytest.raises(Conflict):
        assignment.assign_request(actor=owner, request=req, assignee=agent, expected_version=9)


def test_reprioritising_moves_both_sla_targets_and_keeps_them_in_history(
    req: Any, owner: Any
) -> None:
    assignment.reprioritise_request(actor=owner, request=req, priority="p1", expected_version=1)

    view = selectors.request_view(selectors.get_request(owner, req.pk))
    assert (view.response.target_minutes, view.resolution.target_minutes) == (30.0, 240.0)
    entry = history_for(req, viewer=None)[0]
    assert entry.action == "re-prioritised"
    assert entry.changes == {
        "priority": ["P3 Normal", "P1 Critical"],
        "SLA response target": ["8 h", "0.5 h"],
        "SLA resolution target": ["40 h", "4 h"],
    }


def test_an_unknown_priority_names_the_field(req: Any, owner: Any) -> None:
    with pytest.raises(Invalid) as caught:
        assignment.reprioritise_request(actor=owner, request=req, priority="p9", expected_version=1)
    assert caught.value.field == "priority"


def test_api_assigns_reprioritises_and_refuses_bad_input(
    req: Any, owner: Any, agent: Any, outsider: Any, api: Any
) -> None:
    client = api(owner)
    done = client.post(f"/api/requests/{req.pk}/assignee", {"version": 1, "assignee_id": agent.pk})
    assert done.status_code == 200
    assert (done.json()["assignee_id"], done.json()["assignee_name"]) == (agent.pk, "Ada Agent")

    stranger = client.post(
        f"/api/requests/{req.pk}/assignee", {"version": 2, "assignee_id": outsider.pk}
    )
    assert stranger.status_code == 422 and stranger.json()["field"] == "assignee"

    prio = client.post(f"/api/requests/{req.pk}/priority", {"version": 2, "priority": "p2"})
    assert prio.status_code == 200
    assert (prio.json()["response_target_hours"], prio.json()["resolution_target_hours"]) == (
        2.0,
        16.0,
    )
    assert (
        client.post(f"/api/requests/{req.pk}/priority", {"version": 3, "priority": "x"}).json()[
            "field"
        ]
        == "priority"
    )
    assert (
        client.post(
            f"/api/requests/{req.pk}/priority", {"version": 1, "priority": "p4"}
        ).status_code
        == 409
    )
    assert (
        api(outsider)
        .post(f"/api/requests/{req.pk}/priority", {"version": 3, "priority": "p4"})
        .status_code
        == 404
    )
    assert api(outsider).get(f"/api/requests/{req.pk}/assignment").status_code == 404


def test_guests_may_not_assign(req: Any, org: Any, member: Any, agent: Any, api: Any) -> None:
    guest = member(org, Role.GUEST)
    answer = api(guest).post(
        f"/api/requests/{req.pk}/assignee", {"version": 1, "assignee_id": agent.pk}
    )
    assert answer.status_code == 403
    req.refresh_from_db()
    assert req.assignee_id is None


def test_outsiders_cannot_see_the_request(req: Any, outsider: Any) -> None:
    with pytest.raises(NotFound):
        assignment.assign_request(actor=outsider, request=req, assignee=None, expected_version=1)


def test_board_assigns_to_me_and_the_request_page_reprioritises(
    req: Any, queue: Any, agent: Any, signed_in: Any
) -> None:
    client = signed_in(agent)
    board = client.get(f"/operations/queues/{queue.pk}/").content.decode()
    assert "Assign to me" in board

    client.post(
        f"/operations/requests/{req.pk}/assignment/",
        {
            "action": "assign",
            "assignee": "me",
            "version": 1,
            "next": f"/operations/queues/{queue.pk}/",
        },
    )
    req.refresh_from_db()
    assert req.assignee_id == agent.pk

    page = client.post(
        f"/operations/requests/{req.pk}/assignment/",
        {"action": "priority", "priority": "p2", "version": 2},
        follow=True,
    ).content.decode()
    assert "is now P2 High; its SLA targets follow (16 h to resolve)" in page
    assert "960 to resolve" in page  # business minutes on the panel's help line

    bad = client.post(
        f"/operations/requests/{req.pk}/assignment/",
        {"action": "assign", "assignee": "999999", "version": 3},
        follow=True,
    ).content.decode()
    assert "Assignee: Choose a member of this organisation." in bad
