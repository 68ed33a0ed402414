"""Accounts pages: sign in, people and roles, teams, organisation settings, API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from twofold.accounts import selectors, services
from twofold.accounts.auth import (
    begin_attempt,
    clear_login_failures,
    client_ip,
    device_of,
    forget_attempt,
    reset_allowed,
    trust_device,
)
from twofold.accounts.forms import (
    AddMemberForm,
    ApiTokenForm,
    JobTitleForm,
    MemberRoleForm,
    OrganisationForm,
    PasswordChangeForm,
    SignInForm,
    TeamForm,
)
from twofold.accounts.models import InstanceSettings, Membership, Role
from twofold.core.errors import Conflict, Forbidden, NotFound, ServiceError
from twofold.core.history import history_for
from twofold.core.middleware import SESSION_ORG_KEY
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    apply_service_error,
    forbidden_page,
    organisation_of,
    organisation_required,
    posted_version,
    render_page,
    same_site_path,
    whole_number,
)


def _minutes(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = same_site_path(request, request.POST.get("next") or request.GET.get("next"))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        ip = client_ip(request)
        device = device_of(request, email)
        # Counted as a failure before the password is checked (begin_attempt): attempts made
        # at the same time cannot all slip under the lock.
        locked, _attempt = begin_attempt(email, ip, device=device)
        if locked:
            form.add_error(
                None,
                "Too many failed sign-in attempts. For your security, sign-in is paused: "
                f"try again in {_minutes(locked)}, or reset your password.",
            )
            status = 429
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                form.add_error(None, "That e-mail and password do not match an account.")
                status = 400
            else:
                clear_login_failures(email, ip_address=ip, device=device)
                login(request, user)
                response = redirect(next_url or reverse("projects:portfolio"))
                trust_device(response, request, email)
                return response
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "accounts/pages/sign_in.html",
        {"form": form, "next": next_url, "allow_signup": InstanceSettings.load().allow_signup},
        status=status,
    )


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's password. A wrong current password counts as a failed sign-in (and the
    sign-in lock applies): a session left open could guess it without limit, then take the
    account for good."""
    user = actor_of(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        ip = client_ip(request)
        device = device_of(request, user.email)
        locked, attempt = begin_attempt(user.email, ip, device=device)
        if locked:
            form.add_error(
                None,
                "Too many wrong passwords. For your security, changing it is paused: try "
                f"again in {_minutes(locked)}, or reset your password.",
            )
            status = 429
        elif form.is_valid():
            user = form.save()
            clear_login_failures(user.email, ip_address=ip, device=device)
            update_session_auth_hash(request, user)
            messages.success(request, "Your password has been changed.")
            said = services.credentials_revoked_message(*services.revoke_credentials(user))
            if said:
                messages.info(request, said)
            response = redirect("accounts:profile")
            trust_device(response, request, user.email)  # the old cookie named the old password
            return response
        else:
            if not (request.POST.get("old_password") and "old_password" in form.errors):
                forget_attempt(attempt)  # not a guess (empty, or the current one was right)
            status = 400
        return render(request, "accounts/pages/password_change.html", {"form": form}, status=status)
    return render(request, "accounts/pages/password_change.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    memberships = actor_of(request).memberships.select_related("organisation")
    current = request.membership  # type: ignore[attr-defined]
    # Administrators set job titles (a title picks a cost rate): others see theirs, read-only.
    title_refusal = services.job_title_refusal(actor_of(request), current) if current else None
    title_form = JobTitleForm(
        initial={
            "job_title": actor_of(request).job_title,
            "version": getattr(current, "version", 1),
        }
    )
    return render(
        request,
        "accounts/pages/profile.html",
        {
            "memberships": memberships,
            "title_form": title_form,
            "title_refusal": title_refusal,
            "invitations": selectors.invitations_for(request.user),
        },
    )


@require_POST
@login_required
def invitation_answer(request: HttpRequest, invitation_id: int, answer: str) -> HttpResponse:
    """Accept or decline one of one's own invitations (anyone else's is a 404)."""
    try:
        invitation = selectors.get_invitation_for(request.user, invitation_id)
    except ServiceError as exc:
        raise Http404("Invitation not found.") from exc
    name = invitation.organisation.name
    if answer == "accept":
        try:
            # The name the person wrote on the form (shown when their account has none yet).
            membership = services.accept_invitation(
                actor=actor_of(request),
                invitation=invitation,
                full_name=request.POST.get("full_name"),
            )
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            messages.error(request, exc.message)
            return redirect("accounts:profile")
        request.session[SESSION_ORG_KEY] = membership.organisation_id
        messages.success(request, f"You joined {name}. You are now working in it.")
        return redirect("projects:portfolio")
    services.decline_invitation(actor=actor_of(request), invitation=invitation)
    messages.info(request, f"You declined the invitation to {name}.")
    return redirect("accounts:profile")


@require_POST
@organisation_required
def invitation_withdraw(request: HttpRequest, invitation_id: int) -> HttpResponse:
    org = organisation_of(request)
    if not can(request.user, Action.MANAGE, org):  # before the lookup: no hint what exists
        return forbidden_page(
            request, "Only administrators withdraw invitations.", back=reverse("accounts:people")
        )
    try:
        invitation = selectors.get_invitation_of(org, invitation_id)
        services.withdraw_invitation(actor=actor_of(request), invitation=invitation)
    except NotFound as exc:
        raise Http404("Invitation not found.") from exc
    except Forbidden as exc:
        return forbidden_page(request, exc.message, back=reverse("accounts:people"))
    messages.success(request, f"The invitation of {invitation.label} was withdrawn.")
    return redirect("accounts:people")


@require_POST
@login_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    try:
        org = selectors.get_organisation(
            request.user, whole_number(request.POST.get("organisation")) or 0
        )
    except ServiceError as exc:
        raise Http404("Organisation not found.") from exc
    request.session[SESSION_ORG_KEY] = org.pk
    messages.info(request, f"You are now working in {org.name}.")
    return redirect("projects:portfolio")


@organisation_required
def people(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, org)
    form = AddMemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.add_member(
                    actor=actor_of(request), organisation=org, **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
                if status == 403:
                    messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    f"{invitation.label} is invited as {invitation.get_role_display()}: they "
                    "join when they accept.",
                )
                return redirect("accounts:people")
        else:
            status = 400
    members = list(selectors.members_of(org))
    return render_page(
        request,
        "accounts/pages/people.html",
        {
            "members": members,
            "invitations": selectors.invitations_of(org) if can_manage else [],
            "form": form,
            "can_manage": can_manage,
            "roles": Role.choices,
            "section": "people",
        },
        status=status,
    )


@require_POST
@organisation_required
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    org = organisation_of(request)
    try:
        membership = selectors.get_membership(request.user, org, membership_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    form = MemberRoleForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.change_member_role(
                actor=actor_of(request),
                membership=membership,
                role=form.cleaned_data["role"],
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            status = apply_service_error(form, exc)
        else:
            messages.success(
                request, f"{membership.user.display_name} is now {membership.get_role_display()}."
            )
            return redirect("accounts:people")
    for error in form.errors.values():
        messages.error(request, " ".join(str(e) for e in error))
    members = list(selectors.members_of(org))
    return render(
        request,
        "accounts/pages/people.html",
        {
            "members": members,
            "form": AddMemberForm(),
            "can_manage": can(request.user, Action.MANAGE, org),
            "roles": Role.choices,
            "section": "people",
        },
        status=status,
    )


@require_POST
@organisation_required
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    org = organisation_of(request)
    try:
        membership = selectors.get_membership(request.user, org, membership_id)
        services.remove_member(
            actor=actor_of(request),
            membership=membership,
            expected_version=posted_version(request.POST.get("version")),
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        if isinstance(exc, Forbidden):
            return forbidden_page(request, exc.message, back=reverse("accounts:people"))
        messages.error(request, exc.message)
        return redirect("accounts:people")
    messages.success(request, f"{membership.user.display_name} was removed.")
    return redirect("accounts:people")


@organisation_required
def teams(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    form = TeamForm(request.POST or None, organisation=org)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                team = services.create_team(
                    actor=actor_of(request),
                    organisation=org,
                    name=data["name"],
                    description=data["description"],
                    lead=data["lead"],
                    members=data["members"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Team {team.name} was created.")
                return redirect("accounts:teams")
        else:
            status = 400
    return render_page(
        request,
        "accounts/pages/teams.html",
        {
            "teams": list(selectors.teams_of(org)),
            "form": form,
            "can_manage": can(request.user, Action.MANAGE, org),
            "section": "people",
        },
        status=status,
    )


def _team_initial(team: Any) -> dict[str, Any]:
    return {
        "name": team.name,
        "description": team.description,
        "lead": team.lead,
        "members": list(team.members.all()),
        "version": team.version,
    }


def _team_page(request: HttpRequest, org: Any, team_id: int, *, status: int) -> HttpResponse:
    """The team page as the team is now (after a refused write)."""
    team = selectors.get_team(request.user, org, team_id)
    return render(
        request,
        "accounts/pages/team.html",
        {
            "team": team,
            "form": TeamForm(organisation=org, initial=_team_initial(team)),
            "history": history_for(team, viewer=request.user),
            "can_manage": can(request.user, Action.MANAGE, team),
            "section": "people",
        },
        status=status,
    )


@organisation_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    org = organisation_of(request)
    try:
        team = selectors.get_team(request.user, org, team_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    form = TeamForm(request.POST or None, organisation=org, initial=_team_initial(team))
    status = 200
    if request.method == "POST":
        if "delete" in request.POST:
            try:
                services.delete_team(
                    actor=actor_of(request),
                    team=team,
                    expected_version=posted_version(request.POST.get("version")),
                )
            except ServiceError as exc:
                back = reverse("accounts:team", args=[team.pk])
                if isinstance(exc, Forbidden):
                    return forbidden_page(request, exc.message, back=back)
                if not isinstance(exc, Conflict):
                    messages.error(request, exc.message)
                    return redirect(back)
                # Someone changed the team: 409, the page drawn again as it is now.
                messages.error(request, exc.message)
                return _team_page(request, org, team.pk, status=409)
            messages.success(request, f"Team {team.name} was deleted.")
            return redirect("accounts:teams")
        if form.is_valid() and form.cleaned_data["version"] is None:
            form.add_error(
                None, "This form is out of date: reload the page and make your change again."
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_team(
                    actor=actor_of(request),
                    team=team,
                    expected_version=data["version"],
                    name=data["name"],
                    description=data["description"],
                    lead=data["lead"],
                    members=data["members"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"Team {team.name} was saved.")
                return redirect("accounts:team", team_id=team.pk)
        else:
            status = 400
    return render(
        request,
        "accounts/pages/team.html",
        {
            "team": team,
            "form": form,
            "history": history_for(team, viewer=request.user),
            "can_manage": can(request.user, Action.MANAGE, team),
            "section": "people",
        },
        status=status,
    )


@organisation_required
def organisation_settings(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    can_manage = can(request.user, Action.MANAGE, org)
    form = (
        OrganisationForm(request.POST)
        if request.method == "POST"
        else OrganisationForm.for_organisation(org)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {
                k: v
                for k, v in form.cleaned_data.items()
                if not (k in {"week_start", "date_format"} and v in (None, ""))
            }
            version = data.pop("version")
            try:
                services.update_organisation(
                    actor=actor_of(request), organisation=org, expected_version=version, **data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Organisation settings saved.")
                return redirect("accounts:settings")
        else:
            status = 400
    return render(
        request,
        "accounts/pages/settings.html",
        {
            "organisation": org,
            "form": form,
            "can_manage": can_manage,
            "is_owner": can(request.user, Action.OWN, org),
            "history": history_for(org, viewer=request.user),
            "section": "settings",
        },
        status=status,
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, new_secret = services.create_api_token(
                    actor=actor_of(request), **form.cleaned_data
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                form = ApiTokenForm()
        else:
            status = 400
    return render(
        request,
        "accounts/pages/tokens.html",
        {
            "tokens": list(selectors.tokens_of(request.user)),
            "form": form,
            "new_secret": new_secret,
            "section": "settings",
        },
        status=status,
    )


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = selectors.get_token(request.user, token_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    services.revoke_api_token(actor=actor_of(request), token=token)
    messages.success(request, f"Token “{token.name}” was revoked. Clients using it now get 401.")
    return redirect("accounts:tokens")


@organisation_required
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's page: name, title, role, teams and what they work on in this organisation."""
    org = organisation_of(request)
    try:
        membership = selectors.get_person(request.user, org, user_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    person = membership.user
    is_self = person.pk == request.user.pk
    title_refusal = services.job_title_refusal(actor_of(request), membership)
    form = JobTitleForm(
        request.POST or None, initial={"job_title": person.job_title, "version": membership.version}
    )
    status = 200
    if request.method == "POST":
        if title_refusal:  # the page shows no form to them: the reason on a 403 page
            back = reverse("accounts:person", args=[person.pk])
            return forbidden_page(request, title_refusal, back=back)
        if form.is_valid():
            try:
                services.set_job_title(
                    actor=actor_of(request),
                    membership=membership,
                    job_title=form.cleaned_data["job_title"],
                    expected_version=form.cleaned_data["version"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, f"{person.display_name}'s job title was saved.")
                return redirect("accounts:person", user_id=person.pk)
        else:
            status = 400
    return render(
        request,
        "accounts/pages/person.html",
        {
            "person": person,
            "membership": membership,
            "is_self": is_self,
            "can_edit_title": title_refusal is None,
            "title_refusal": title_refusal,
            "form": form,
            "work": selectors.work_of(org, person, viewer=request.user),
            "section": "people",
        },
        status=status,
    )


@require_POST
@login_required
def profile_job_title(request: HttpRequest) -> HttpResponse:
    """The person sets their own job title from their profile."""
    actor = actor_of(request)
    current = request.membership  # type: ignore[attr-defined]
    membership = (
        Membership.objects.select_related("organisation", "user").filter(pk=current.pk).first()
        if current
        else None
    )
    form = JobTitleForm(request.POST)
    if membership is None:
        messages.error(request, "Join an organisation first: your title is shown to its members.")
    elif form.is_valid():
        try:
            services.set_job_title(
                actor=actor,
                membership=membership,
                job_title=form.cleaned_data["job_title"],
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your job title was saved.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    return redirect("accounts:profile")


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's view; a password chosen through the e-mailed link also lifts the sign-in lock on
    that e-mail (the lock's message says to reset the password, which did not lift it) and
    revokes the person's API tokens (a thief with the old password or a session could have
    made one that outlived the reset)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        clear_login_failures(form.user.email)
        said = services.credentials_revoked_message(*services.revoke_credentials(form.user))
        if said:
            messages.info(self.request, said)
        return response


class PasswordReset(auth_views.PasswordResetView):
    """Django's view, limited: at most three e-mails an hour to one address and twenty an hour
    from one client (it sent one per request: an inbox could be flooded). The answer is the
    same either way."""

    def form_valid(self, form: Any) -> HttpResponse:
        if not reset_allowed(form.cleaned_data["email"], client_ip(self.request)):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
