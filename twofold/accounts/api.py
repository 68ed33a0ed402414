"""API for the current user, organisations, members and teams (same services as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from twofold.accounts import selectors, services
from twofold.accounts.models import (
    InstanceSettings,
    Invitation,
    Membership,
    Organisation,
    Role,
    Team,
    User,
)
from twofold.core.api_schemas import READ, WRITE
from twofold.core.errors import Invalid, NotFound
from twofold.core.policy import Action, memberships_of, require
from twofold.core.web import actor_of

router = Router(tags=["accounts"])


RoleName = Literal["guest", "member", "admin", "owner"]


def _role(value: str) -> RoleName:
    role = Role(value)
    return role.value  # type: ignore[return-value]


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    job_title: str


class MembershipBrief(Schema):
    organisation_id: int
    organisation_name: str
    role: RoleName


class MeOut(UserOut):
    timezone: str
    memberships: list[MembershipBrief]


DateFormatName = Literal["d_mon_y", "dd/mm/yyyy", "mm/dd/yyyy", "yyyy-mm-dd"]
WeekStartDay = Literal[0, 5, 6]


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    timezone: str
    week_start: WeekStartDay = Field(..., description="0 Monday, 5 Saturday, 6 Sunday")
    date_format: DateFormatName
    fiscal_year_start_month: int
    created_at: dt.datetime
    version: int


class OrganisationIn(Schema):
    # Length is checked by the service, so a 10,000-character name gets a clear message.
    name: StrictStr
    description: StrictStr = ""
    timezone: StrictStr | None = Field(None, description="IANA name; default the server's")
    week_start: WeekStartDay = 0
    date_format: DateFormatName = "d_mon_y"


class OrganisationPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = None
    description: StrictStr | None = None
    timezone: StrictStr | None = None
    week_start: WeekStartDay | None = None
    date_format: DateFormatName | None = None
    fiscal_year_start_month: StrictInt | None = Field(None, ge=1, le=12)


class InstanceOut(Schema):
    allow_signup: bool
    set_up_at: dt.datetime | None
    version: int


class InstancePatch(Schema):
    version: StrictInt
    allow_signup: StrictBool


class PreferencesOut(Schema):
    timezone: str = Field(..., description="Blank: the organisation's time zone")


class PreferencesPatch(Schema):
    # A field it does not know answers 422 naming it (a full_name sent here was ignored with
    # 200: the name is set with PATCH /api/me).
    model_config = ConfigDict(extra="forbid")

    timezone: StrictStr


class MePatch(Schema):
    """What a person changes of their own account (the name every organisation shows)."""

    model_config = ConfigDict(extra="forbid")

    full_name: StrictStr = Field(
        ...,
        description="Your name as every organisation you are in shows it (at most 150 "
        "characters; blank: your e-mail address). Only you set it: an inviter's name stays "
        "on the invitation.",
    )


class MemberOut(Schema):
    id: int
    user: UserOut
    role: RoleName
    version: int


class InviteeOut(Schema):
    """The person as the organisation named them: no account id, no account name (an id told
    an administrator whether the address had an account before: a fresh one is the next)."""

    email: str
    full_name: str = Field(..., description="The name the inviter gave (may be empty).")


class InvitationOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    user: InviteeOut
    role: RoleName
    invited_by: str | None = Field(None, description="Who invited them (None once removed).")
    created_at: dt.datetime


class MemberIn(Schema):
    email: StrictStr = Field(..., max_length=254)
    full_name: StrictStr = Field("", max_length=150)
    role: RoleName = "member"


class MemberPatch(Schema):
    version: StrictInt
    role: RoleName


class TeamOut(Schema):
    id: int
    name: str
    description: str
    lead_id: int | None
    member_ids: list[int]
    version: int


class TeamIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=80)
    description: StrictStr = ""
    lead_id: StrictInt | None = None
    member_ids: list[StrictInt] = []


class TeamPatch(Schema):
    version: StrictInt
    name: StrictStr | None = Field(None, min_length=1, max_length=80)
    description: StrictStr | None = None
    lead_id: StrictInt | None = None
    member_ids: list[StrictInt] | None = None


def _user(user: User) -> UserOut:
    return UserOut(id=user.pk, email=user.email, full_name=user.full_name, job_title=user.job_title)


def _member(m: Membership) -> MemberOut:
    return MemberOut(id=m.pk, user=_user(m.user), role=_role(m.role), version=m.version)


def _invitation(i: Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.pk,
        organisation_id=i.organisation_id,
        organisation=i.organisation.name,
        # As the organisation names them until they accept (not the account's own name or id).
        user=InviteeOut(email=i.user.email, full_name=i.name),
        role=_role(i.role),
        invited_by=i.invited_by.display_name if i.invited_by else None,
        created_at=i.created_at,
    )


def _team(t: Team) -> TeamOut:
    return TeamOut(
        id=t.pk,
        name=t.name,
        description=t.description,
        lead_id=t.lead_id,
        member_ids=sorted(u.pk for u in t.members.all()),
        version=t.version,
    )


def _org(o: Organisation) -> OrganisationOut:
    return OrganisationOut.model_validate(o, from_attributes=True)


def _people(org: Organisation, ids: list[int], field: str = "member_ids") -> list[User]:
    users = list(User.objects.filter(pk__in=ids, memberships__organisation=org))
    if len(users) != len(set(ids)):
        if field == "lead_id":
            raise Invalid("The lead must be a member of the organisation.", field=field)
        raise Invalid("Every id must be a member of the organisation.", field=field)
    return users


@router.get("/me", response={200: MeOut, **READ}, summary="The signed-in user")
def me(request: HttpRequest) -> MeOut:
    user: User = request.user  # type: ignore[assignment]
    memberships = memberships_of(user)  # the request's own, loaded once
    return MeOut(
        **_user(user).model_dump(),
        timezone=user.timezone,
        memberships=[
            MembershipBrief(
                organisation_id=m.organisation_id,
                organisation_name=m.organisation.name,
                role=_role(m.role),
            )
            for m in memberships
        ],
    )


@router.patch("/me", response={200: MeOut, **WRITE}, summary="Set your own name")
def patch_me(request: HttpRequest, payload: MePatch) -> MeOut:
    services.update_preferences(actor=actor_of(request), full_name=payload.full_name)
    return me(request)


@router.get("/organisations", response={200: list[OrganisationOut], **READ})
def list_organisations(request: HttpRequest) -> list[OrganisationOut]:
    return [_org(o) for o in selectors.organisations_for(request.user)]


@router.post(
    "/organisations",
    response={201: OrganisationOut, **WRITE},
    summary="Create an organisation; you become its owner",
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[OrganisationOut]:
    org = services.create_organisation(actor=actor_of(request), **payload.model_dump())
    return Status(201, _org(org))


def _instance_admin(request: HttpRequest) -> User:
    user = actor_of(request)
    if not user.is_superuser:
        raise NotFound("Not found.")
    return user


@router.get("/instance", response={200: InstanceOut, **READ}, summary="Instance settings (admins)")
def get_instance(request: HttpRequest) -> InstanceOut:
    _instance_admin(request)
    return InstanceOut.model_validate(InstanceSettings.load(), from_attributes=True)


@router.patch("/instance", response={200: InstanceOut, **WRITE}, summary="Allow sign-up (admins)")
def patch_instance(request: HttpRequest, payload: InstancePatch) -> InstanceOut:
    instance = services.update_instance_settings(
        actor=_instance_admin(request),
        expected_version=payload.version,
        allow_signup=payload.allow_signup,
    )
    return InstanceOut.model_validate(instance, from_attributes=True)


@router.get("/me/preferences", response={200: PreferencesOut, **READ})
def get_preferences(request: HttpRequest) -> PreferencesOut:
    return PreferencesOut(timezone=actor_of(request).timezone)


@router.patch("/me/preferences", response={200: PreferencesOut, **WRITE})
def patch_preferences(request: HttpRequest, payload: PreferencesPatch) -> PreferencesOut:
    user = services.update_preferences(actor=actor_of(request), timezone=payload.timezone)
    return PreferencesOut(timezone=user.timezone)


@router.get("/organisations/{org_id}", response={200: OrganisationOut, **READ})
def get_organisation(request: HttpRequest, org_id: int) -> OrganisationOut:
    return _org(selectors.get_organisation(request.user, org_id))


@router.patch("/organisations/{org_id}", response={200: OrganisationOut, **WRITE})
def patch_organisation(
    request: HttpRequest, org_id: int, payload: OrganisationPatch
) -> OrganisationOut:
    org = selectors.get_organisation(request.user, org_id)
    values = payload.model_dump(exclude_unset=True, exclude={"version"})
    org = services.update_organisation(
        actor=actor_of(request),
        organisation=org,
        expected_version=payload.version,
        **values,
    )
    return _org(org)


@router.delete(
    "/organisations/{org_id}",
    response={204: None, **WRITE},
    summary="Delete the organisation and everything in it (owners; confirm_name = its name)",
)
def delete_organisation(request: HttpRequest, org_id: int, confirm_name: str) -> Status[None]:
    org = selectors.get_organisation(request.user, org_id)
    services.delete_organisation(
        actor=actor_of(request), organisation=org, confirm_name=confirm_name
    )
    return Status(204, None)


@router.get("/organisations/{org_id}/members", response={200: list[MemberOut], **READ})
def list_members(request: HttpRequest, org_id: int) -> list[MemberOut]:
    org = selectors.get_organisation(request.user, org_id)
    return [_member(m) for m in selectors.members_of(org)]


@router.post(
    "/organisations/{org_id}/members",
    response={202: InvitationOut, **WRITE},
    summary="Invite a person by e-mail: they join when they accept (202, the invitation); "
    "the answer is the same whether the address has an account here or not",
)
def add_member(request: HttpRequest, org_id: int, payload: MemberIn) -> Status[InvitationOut]:
    org = selectors.get_organisation(request.user, org_id)
    invitation = services.add_member(
        actor=actor_of(request),
        organisation=org,
        email=payload.email,
        full_name=payload.full_name,
        role=payload.role,
    )
    return Status(202, _invitation(invitation))


@router.get(
    "/organisations/{org_id}/invitations",
    response={200: list[InvitationOut], **READ, 403: WRITE[403]},
    summary="Invitations not answered yet (administrators)",
)
def list_invitations(request: HttpRequest, org_id: int) -> list[InvitationOut]:
    org = selectors.get_organisation(request.user, org_id)
    require(request.user, Action.MANAGE, org)
    return [_invitation(i) for i in selectors.invitations_of(org)]


@router.delete(
    "/organisations/{org_id}/invitations/{invitation_id}",
    response={204: None, **WRITE},
    summary="Withdraw an invitation (administrators)",
)
def withdraw_invitation(request: HttpRequest, org_id: int, invitation_id: int) -> Status[None]:
    org = selectors.get_organisation(request.user, org_id)
    require(request.user, Action.MANAGE, org)
    invitation = selectors.get_invitation_of(org, invitation_id)
    services.withdraw_invitation(actor=actor_of(request), invitation=invitation)
    return Status(204, None)


@router.get(
    "/me/invitations",
    response={200: list[InvitationOut], **READ},
    summary="The invitations waiting for the signed-in user",
)
def my_invitations(request: HttpRequest) -> list[InvitationOut]:
    return [_invitation(i) for i in selectors.invitations_for(request.user)]


@router.post(
    "/me/invitations/{invitation_id}/accept",
    response={201: MemberOut, **WRITE},
    summary="Join the organisation in the invitation's role",
)
def accept_invitation(request: HttpRequest, invitation_id: int) -> Status[MemberOut]:
    invitation = selectors.get_invitation_for(request.user, invitation_id)
    membership = services.accept_invitation(actor=actor_of(request), invitation=invitation)
    return Status(201, _member(membership))


@router.post(
    "/me/invitations/{invitation_id}/decline",
    response={204: None, **WRITE},
    summary="Decline an invitation",
)
def decline_invitation(request: HttpRequest, invitation_id: int) -> Status[None]:
    invitation = selectors.get_invitation_for(request.user, invitation_id)
    services.decline_invitation(actor=actor_of(request), invitation=invitation)
    return Status(204, None)


@router.patch("/organisations/{org_id}/members/{member_id}", response={200: MemberOut, **WRITE})
def patch_member(
    request: HttpRequest, org_id: int, member_id: int, payload: MemberPatch
) -> MemberOut:
    org = selectors.get_organisation(request.user, org_id)
    m = selectors.get_membership(request.user, org, member_id)
    services.change_member_role(
        actor=actor_of(request), membership=m, role=payload.role, expected_version=payload.version
    )
    return _member(m)


@router.delete("/organisations/{org_id}/members/{member_id}", response={204: None, **WRITE})
def delete_member(
    request: HttpRequest, org_id: int, member_id: int, version: int | None = None
) -> Status[None]:
    """Remove a member. ``version``: the membership's, as you read it (409 if it changed)."""
    org = selectors.get_organisation(request.user, org_id)
    m = selectors.get_membership(request.user, org, member_id)
    services.remove_member(actor=actor_of(request), membership=m, expected_version=version)
    return Status(204, None)


@router.get("/organisations/{org_id}/teams", response={200: list[TeamOut], **READ})
def list_teams(request: HttpRequest, org_id: int) -> list[TeamOut]:
    org = selectors.get_organisation(request.user, org_id)
    return [_team(t) for t in selectors.teams_of(org)]


@router.post("/organisations/{org_id}/teams", response={201: TeamOut, **WRITE})
def create_team(request: HttpRequest, org_id: int, payload: TeamIn) -> Status[TeamOut]:
    org = selectors.get_organisation(request.user, org_id)
    lead = _people(org, [payload.lead_id], "lead_id")[0] if payload.lead_id is not None else None
    team = services.create_team(
        actor=actor_of(request),
        organisation=org,
        name=payload.name,
        description=payload.description,
        lead=lead,
        members=_people(org, payload.member_ids),
    )
    return Status(201, _team(selectors.get_team(request.user, org, team.pk)))


@router.get("/organisations/{org_id}/teams/{team_id}", response={200: TeamOut, **READ})
def get_team(request: HttpRequest, org_id: int, team_id: int) -> TeamOut:
    org = selectors.get_organisation(request.user, org_id)
    return _team(selectors.get_team(request.user, org, team_id))


@router.patch("/organisations/{org_id}/teams/{team_id}", response={200: TeamOut, **WRITE})
def patch_team(request: HttpRequest, org_id: int, team_id: int, payload: TeamPatch) -> TeamOut:
    org = selectors.get_organisation(request.user, org_id)
    team = selectors.get_team(request.user, org, team_id)
    values = payload.model_dump(exclude_unset=True, exclude={"version", "member_ids", "lead_id"})
    if "lead_id" in payload.model_fields_set:
        values["lead"] = (
            _people(org, [payload.lead_id], "lead_id")[0] if payload.lead_id is not None else None
        )
    members = _people(org, payload.member_ids) if payload.member_ids is not None else None
    services.update_team(
        actor=actor_of(request),
        team=team,
        expected_version=payload.version,
        members=members,
        **values,
    )
    return _team(selectors.get_team(request.user, org, team.pk))


@router.delete("/organisations/{org_id}/teams/{team_id}", response={204: None, **WRITE})
def delete_team(
    request: HttpRequest, org_id: int, team_id: int, version: int | None = None
) -> Status[None]:
    """Delete a team. ``version``: as you read it (409 if someone changed the team since)."""
    org = selectors.get_organisation(request.user, org_id)
    services.delete_team(
        actor=actor_of(request),
        team=selectors.get_team(request.user, org, team_id),
        expected_version=version,
    )
    return Status(204, None)


__all__ = ["Role", "router"]


class NamedRef(Schema):
    id: int
    name: str


class PersonTask(Schema):
    id: int
    name: str
    project_id: int
    project_name: str
    status: str
    finish: str | None = Field(None, description="Scheduled finish (ISO 8601), if scheduled.")


class PersonOut(UserOut):
    role: RoleName
    member_id: int
    version: int = Field(
        ..., description="The membership's version: an administrator sends it to change the title."
    )
    teams: list[NamedRef]
    open_tasks: list[PersonTask]
    projects_managed: list[NamedRef]
    processes_owned: list[NamedRef]


class PersonPatch(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    job_title: StrictStr = Field(..., max_length=120)


def _person(m: Membership, work: dict[str, list[object]]) -> PersonOut:
    user = m.user
    return PersonOut(
        **_user(user).model_dump(),
        role=_role(m.role),
        member_id=m.pk,
        version=m.version,
        teams=[NamedRef(id=t.pk, name=t.name) for t in user.org_teams],  # type: ignore[attr-defined]
        open_tasks=[
            PersonTask(
                id=t.pk,  # type: ignore[attr-defined]
                name=t.name,  # type: ignore[attr-defined]
                project_id=t.project_id,  # type: ignore[attr-defined]
                project_name=t.project.name,  # type: ignore[attr-defined]
                status=t.status,  # type: ignore[attr-defined]
                finish=t.finish.isoformat() if t.finish else None,  # type: ignore[attr-defined]
            )
            for t in work["tasks"]
        ],
        projects_managed=[NamedRef(id=p.pk, name=p.name) for p in work["projects"]],  # type: ignore[attr-defined]
        processes_owned=[NamedRef(id=p.pk, name=p.name) for p in work["processes"]],  # type: ignore[attr-defined]
    )


@router.get(
    "/organisations/{org_id}/people/{user_id}",
    response={200: PersonOut, **READ},
    summary="A person: title, role, teams and what they work on (members of the organisation only)",
)
def get_person(request: HttpRequest, org_id: int, user_id: int) -> PersonOut:
    org = selectors.get_organisation(request.user, org_id)
    m = selectors.get_person(request.user, org, user_id)
    return _person(m, selectors.work_of(org, m.user, viewer=request.user))


@router.patch(
    "/organisations/{org_id}/people/{user_id}",
    response={200: PersonOut, **WRITE},
    summary="Change a person's job title (administrators of every organisation the person is "
    "in: a title picks the cost rate of their hours; 403 naming job_title otherwise)",
)
def patch_person(
    request: HttpRequest, org_id: int, user_id: int, payload: PersonPatch
) -> PersonOut:
    org = selectors.get_organisation(request.user, org_id)
    m = selectors.get_person(request.user, org, user_id)
    services.set_job_title(
        actor=actor_of(request),
        membership=m,
        job_title=payload.job_title,
        expected_version=payload.version,
    )
    return _person(m, selectors.work_of(org, m.user, viewer=request.user))
