"""First run, sign-up, creating, switching and deleting organisations, preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from twofold.accounts import services
from twofold.accounts.auth import client_ip, reset_allowed
from twofold.accounts.forms import (
    DeleteOrganisationForm,
    InstanceSettingsForm,
    NewOrganisationForm,
    PreferencesForm,
    SetUpForm,
    SignUpForm,
)
from twofold.accounts.middleware import instance_has_users
from twofold.accounts.models import InstanceSettings, User
from twofold.core.errors import ServiceError
from twofold.core.middleware import SESSION_ORG_KEY
from twofold.core.policy import Action, can
from twofold.core.web import actor_of, apply_service_error, organisation_of, organisation_required

BACKEND = "twofold.accounts.auth.EmailBackend"


def set_up(request: HttpRequest) -> HttpResponse:
    """First run only: the first person and their organisation. Afterwards: 404."""
    if instance_has_users():
        raise Http404("This instance is already set up.")
    form = SetUpForm(request.POST or None, default_zone=settings.TIME_ZONE)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user, org = services.set_up_instance(**form.cleaned_data)
            except services.SetUpDone as exc:
                raise Http404(exc.message) from exc
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                login(request, user, backend=BACKEND)
                request.session[SESSION_ORG_KEY] = org.pk
                messages.success(
                    request,
                    f"Welcome to Twofold. {org.name} is ready. Next: add your colleagues under "
                    "People, then create your first project (New project) or process "
                    "(Operations).",
                )
                return redirect("projects:portfolio")
        else:
            status = 400
    return render(request, "accounts/pages/setup.html", {"form": form}, status=status)


def sign_up(request: HttpRequest) -> HttpResponse:
    """Open only when an instance administrator allows sign-ups."""
    if not InstanceSettings.load().allow_signup:
        raise Http404("Sign-up is closed.")
    if request.user.is_authenticated:
        return redirect("accounts:organisation_new")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                # E-mails to one address are limited as password resets are (three an hour):
                # past that the page answers the same and nothing is sent or created.
                if reset_allowed(form.cleaned_data["email"], client_ip(request)):
                    services.sign_up(**form.cleaned_data)
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                # The same answer whether the address has an account or not.
                return render(
                    request,
                    "accounts/pages/signup_sent.html",
                    {"email": form.cleaned_data["email"].strip().lower()},
                )
        else:
            status = 400
    return render(request, "accounts/pages/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def sign_up_verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of a sign-up's e-mail asks (GET), then opens the account and signs its person
    in (POST, with the CSRF check). Opening on the GET let another site sign a visitor into an
    account of the site's choosing with its own unused link (an image was enough)."""
    if request.method == "GET":
        if not services.sign_up_link_works(uidb64, token):
            return render(request, "accounts/pages/signup_link_invalid.html", status=400)
        return render(request, "accounts/pages/signup_confirm.html")
    user = services.verify_sign_up(uidb64, token)
    if user is None:
        return render(request, "accounts/pages/signup_link_invalid.html", status=400)
    login(request, user, backend=BACKEND)
    messages.success(request, "Your account is ready. Create your organisation.")
    return redirect("accounts:organisation_new")


@login_required
def organisation_new(request: HttpRequest) -> HttpResponse:
    form = NewOrganisationForm(request.POST or None, default_zone=_viewer_zone(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                org = services.create_organisation(actor=actor_of(request), **form.cleaned_data)
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                request.session[SESSION_ORG_KEY] = org.pk
                messages.success(request, f"{org.name} was created. You are its owner.")
                return redirect("projects:portfolio")
        else:
            status = 400
    return render(
        request,
        "accounts/pages/organisation_new.html",
        {"form": form, "section": "settings"},
        status=status,
    )


def _viewer_zone(request: HttpRequest) -> str:
    user = request.user
    org = getattr(request, "organisation", None)
    return getattr(user, "timezone", "") or (org.timezone if org else settings.TIME_ZONE)


@organisation_required
def organisation_delete(request: HttpRequest) -> HttpResponse:
    org = organisation_of(request)
    is_owner = can(request.user, Action.OWN, org)
    form = DeleteOrganisationForm(request.POST or None)
    form.fields["confirm_name"].help_text = f"Type “{org.name}” exactly as shown."
    status = 200 if is_owner else 403
    if request.method == "POST" and is_owner:
        if form.is_valid():
            try:
                services.delete_organisation(
                    actor=actor_of(request),
                    organisation=org,
                    confirm_name=form.cleaned_data["confirm_name"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                request.session.pop(SESSION_ORG_KEY, None)
                messages.success(request, f"{org.name} and everything in it were deleted.")
                return redirect("accounts:profile")
        else:
            status = 400
    return render(
        request,
        "accounts/pages/organisation_delete.html",
        {
            "organisation": org,
            "form": form,
            "is_owner": is_owner,
            "counts": services.deletion_counts(org) if is_owner else {},
            "section": "settings",
        },
        status=status,
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = actor_of(request)
    org = getattr(request, "organisation", None)
    form = PreferencesForm(
        request.POST or None,
        initial={"timezone": user.timezone, "full_name": user.full_name},
        organisation_zone=org.timezone if org else "",
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_preferences(
                    actor=user,
                    timezone=form.cleaned_data["timezone"],
                    # Left out of the post (an older page): the name stays.
                    full_name=form.cleaned_data["full_name"] if "full_name" in form.data else None,
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Your preferences were saved.")
                return redirect("accounts:preferences")
        else:
            status = 400
    return render(
        request,
        "accounts/pages/preferences.html",
        {"form": form, "now": timezone.now(), "zone_name": timezone.get_current_timezone_name()},
        status=status,
    )


@login_required
def instance_settings(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.is_superuser:
        raise Http404("Not found.")
    instance = InstanceSettings.load()
    form = InstanceSettingsForm(
        request.POST or None,
        initial={"allow_signup": instance.allow_signup, "version": instance.version},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_instance_settings(
                    actor=user,
                    expected_version=form.cleaned_data["version"],
                    allow_signup=form.cleaned_data["allow_signup"],
                )
            except ServiceError as exc:
                status = apply_service_error(form, exc)
            else:
                messages.success(request, "Instance settings saved.")
                return redirect("accounts:instance")
        else:
            status = 400
    return render(
        request,
        "accounts/pages/instance.html",
        {"form": form, "instance": instance, "section": "settings"},
        status=status,
    )
