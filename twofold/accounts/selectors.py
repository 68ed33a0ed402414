"""Reads for accounts: every query scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from twofold.accounts.models import ApiToken, Invitation, Membership, Organisation, Team, User
from twofold.core.errors import NotFound
from twofold.core.policy import memberships_of


def organisations_for(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user_id=user.pk).order_by("name")


def get_organisation(user: Any, organisation_id: int) -> Organisation:
    """The organisation if the user is a member, else ``NotFound``."""
    for membership in memberships_of(user):  # loaded once per request
        if membership.organisation_id == organisation_id:
            return membership.organisation
    org = organisations_for(user).filter(pk=organisation_id).first()
    if org is None:
        raise NotFound("Organisation not found.")
    return org


def invitations_of(organisation: Organisation) -> list[Invitation]:
    """The organisation's invitations nobody has answered yet, newest first (one query)."""
    return list(
        Invitation.objects.filter(organisation=organisation).select_related("user", "invited_by")
    )


def invitations_for(user: Any) -> list[Invitation]:
    """The invitations waiting for ``user``, newest first (one query)."""
    return list(
        Invitation.objects.filter(user_id=user.pk).select_related("organisation", "invited_by")
    )


def get_invitation_for(user: Any, invitation_id: int) -> Invitation:
    """One of ``user``'s own invitations; anyone else's is NotFound."""
    found = (
        Invitation.objects.filter(pk=invitation_id, user_id=user.pk)
        .select_related("organisation", "user")
        .first()
    )
    if found is None:
        raise NotFound("Invitation not found.")
    return found


def get_invitation_of(organisation: Organisation, invitation_id: int) -> Invitation:
    """One invitation of ``organisation`` (the caller has checked the viewer's rights)."""
    found = (
        Invitation.objects.filter(pk=invitation_id, organisation=organisation)
        .select_related("organisation", "user")
        .first()
    )
    if found is None:
        raise NotFound("Invitation not found.")
    return found


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Memberships with their users and teams (constant number of queries)."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__teams",
                queryset=Team.objects.filter(organisation=organisation).order_by("name"),
                to_attr="org_teams",
            )
        )
        .order_by("user__full_name", "user__email")
    )


def get_membership(user: Any, organisation: Organisation, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(
            pk=membership_id,
            organisation=organisation,
            organisation__memberships__user_id=user.pk,
        )
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise NotFound("Member not found.")
    return membership


def teams_of(organisation: Organisation) -> QuerySet[Team]:
    return (
        Team.objects.filter(organisation=organisation)
        .select_related("lead")
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("full_name")))
        .order_by("name")
    )


def get_team(user: Any, organisation: Organisation, team_id: int) -> Team:
    team = (
        teams_of(organisation)
        .filter(pk=team_id, organisation__memberships__user_id=user.pk)
        .first()
    )
    if team is None:
        raise NotFound("Team not found.")
    return team


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at")


def get_token(user: Any, token_id: int) -> ApiToken:
    token = tokens_of(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("Token not found.")
    return token


def get_person(viewer: Any, organisation: Organisation, user_id: int) -> Membership:
    """A person's membership of ``organisation`` with their teams there, if the viewer is a member.

    Someone who shares no organisation with the viewer is ``NotFound`` (never Forbidden).
    """
    membership = (
        Membership.objects.filter(
            organisation=organisation,
            user_id=user_id,
            organisation__memberships__user_id=viewer.pk,
        )
        .select_related("user", "organisation")
        .prefetch_related(
            Prefetch(
                "user__teams",
                queryset=Team.objects.filter(organisation=organisation).order_by("name"),
                to_attr="org_teams",
            )
        )
        .first()
    )
    if membership is None:
        raise NotFound("Person not found.")
    return membership


PERSON_LIST_LIMIT = 50
PERSON_HISTORY_LIMIT = 20


def work_of(organisation: Organisation, user: User, *, viewer: Any) -> dict[str, list[Any]]:
    """What a person works on in ``organisation``: open tasks, projects they manage, processes they
    own, and their recent changes (a fixed number of queries)."""
    from twofold.operations.models import Process
    from twofold.projects.models import Project, Task

    tasks = list(
        Task.objects.filter(organisation=organisation, assignee=user, is_summary=False)
        .exclude(status="done")
        .select_related("project")
        .order_by("finish", "project__name", "position")[:PERSON_LIST_LIMIT]
    )
    projects = list(
        Project.objects.filter(organisation=organisation, manager=user).order_by("name")[
            :PERSON_LIST_LIMIT
        ]
    )
    processes = list(
        Process.objects.filter(organisation=organisation, owner=user).order_by("name")[
            :PERSON_LIST_LIMIT
        ]
    )
    # Their changes as the organisation's activity feed shows them: only the kinds it lists and
    # nothing in the trash (every history entry they made showed a rate's amount to members
    # and guests, and named trashed projects).
    from twofold.activity.selectors import Scope, feed

    recent = feed(
        Scope(organisation),
        viewer=viewer,
        person=user.pk,
        limit=PERSON_HISTORY_LIMIT,
        comments=False,
    ).entries
    return {"tasks": tasks, "projects": projects, "processes": processes, "history": recent}
