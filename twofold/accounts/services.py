"""Writes for accounts. Each: check permission, one transaction, history, side effects on commit."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from twofold.accounts.auth import hash_secret, invitation_mail_allowed, new_token_material
from twofold.accounts.models import (
    ROLE_RANK,
    STAND_IN_DOMAIN,
    ApiToken,
    DateFormat,
    InstanceSettings,
    Invitation,
    JobTitlePeriod,
    Membership,
    Organisation,
    OrganisationDeletion,
    Role,
    StandIn,
    Team,
    User,
    WeekStart,
)
from twofold.core import dates, history
from twofold.core.concurrency import delete_versioned, save_versioned
from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.policy import Action, can, require, role_in
from twofold.core.uploads import remove_stored

ORG_FIELDS = [
    "name",
    "description",
    "timezone",
    "fiscal_year_start_month",
    "week_start",
    "date_format",
]
ORG_NAME_MAX = 120
log = logging.getLogger("twofold.accounts")
timezone_now = timezone.now  # services below take a ``timezone`` argument (a zone name)
TEAM_FIELDS = ["name", "description", "lead"]
MAX_TOKEN_DAYS = 366


def _reject_nulls(values: dict[str, Any], nullable: frozenset[str] = frozenset()) -> None:
    """A field that cannot be empty may be left out of an edit, but not set to null."""
    for key, value in values.items():
        if value is None and key not in nullable:
            raise Invalid(f"{key} cannot be null; leave it out to keep its value.", field=key)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_org_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise Invalid("An organisation needs a name.", field="name")
    if len(name) > ORG_NAME_MAX:
        raise Invalid(
            f"An organisation's name has at most {ORG_NAME_MAX} characters (this one has "
            f"{len(name)}).",
            field="name",
        )
    return name


def _check_timezone(name: str, field: str = "timezone") -> None:
    if name not in zoneinfo.available_timezones():
        raise Invalid(
            f"Unknown time zone {name[:80]!r}: use a name such as Europe/Berlin.", field=field
        )


def _check_org_conventions(values: dict[str, Any]) -> None:
    if "timezone" in values:
        _check_timezone(str(values["timezone"]))
    if "week_start" in values and values["week_start"] not in WeekStart.values:
        raise Invalid(
            "The week starts on Monday (0), Saturday (5) or Sunday (6).", field="week_start"
        )
    if "date_format" in values and values["date_format"] not in DateFormat.values:
        raise Invalid(
            f"Unknown date format; choose one of {', '.join(DateFormat.values)}.",
            field="date_format",
        )


def ensure_organisation_defaults(organisation: Organisation, actor: User) -> None:
    """What a new organisation starts with."""
    from twofold.calendars.services import ensure_default_calendar  # the app above accounts

    ensure_default_calendar(organisation)


@transaction.atomic
def create_organisation(
    *,
    actor: User,
    name: str,
    description: str = "",
    timezone: str | None = None,
    week_start: int = WeekStart.MONDAY,
    date_format: str = DateFormat.DAY_MONTH_NAME,
) -> Organisation:
    """A new organisation with ``actor`` as its owner (any signed-in person may create one)."""
    name = _clean_org_name(name)
    zone = timezone or settings.TIME_ZONE
    _check_org_conventions({"timezone": zone, "week_start": week_start, "date_format": date_format})
    org = Organisation.objects.create(
        name=name,
        slug=_unique_slug(name),
        description=description,
        timezone=zone,
        week_start=week_start,
        date_format=date_format,
    )
    owner = Membership.objects.create(organisation=org, user=actor, role=Role.OWNER)
    ensure_organisation_defaults(org, actor)
    history.record(actor=actor, obj=org, action="created", summary=f"Created {org.name}")
    history.record(
        actor=actor,
        obj=owner,
        action="member added",
        changes={"role": [None, Role.OWNER.value]},
        summary=f"Added {actor.display_name} as {Role.OWNER.label}",
    )
    log.info("organisation %s (%s) created by %s", org.pk, org.slug, actor.email)
    return org


def check_new_person(email: str, password: str, full_name: str, *, taken_ok: bool = False) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid("Enter a valid e-mail address.", field="email") from exc
    if email.endswith("@" + STAND_IN_DOMAIN):  # an import's stand-in: nobody's address
        raise Invalid("Enter a valid e-mail address.", field="email")
    if len(full_name) > 150:
        raise Invalid("A name has at most 150 characters.", field="full_name")
    if not taken_ok and User.objects.filter(email=email).exists():  # stored lower-cased
        raise Invalid(
            "There is already an account with this e-mail: sign in instead.", field="email"
        )
    try:
        password_validation.validate_password(
            password, user=User(email=email, username=email, full_name=full_name)
        )
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password") from exc
    return email


class SetUpDone(Invalid):
    """The instance already has people: first-run set-up is over."""


def set_up_instance(
    *,
    full_name: str,
    email: str,
    password: str,
    organisation_name: str,
    timezone: str | None = None,
) -> tuple[User, Organisation]:
    """First run: the first person (an instance administrator) and their organisation.

    Two set-ups at once take turns on the instance row's lock; the second finds a person and
    raises ``SetUpDone``.
    """
    InstanceSettings.load()
    with transaction.atomic():
        instance = InstanceSettings.objects.select_for_update().get(pk=1)
        if User.objects.exists():
            raise SetUpDone("This instance is already set up: sign in instead.")
        full_name = full_name.strip()
        email = check_new_person(email, password, full_name)
        _clean_org_name(organisation_name)
        user = User.objects.create_superuser(email=email, password=password, full_name=full_name)
        org = create_organisation(
            actor=user, name=organisation_name, timezone=timezone or settings.TIME_ZONE
        )
        instance.set_up_at = timezone_now()
        instance.save(update_fields=["set_up_at"])
    log.info("instance set up by %s with organisation %s", user.email, org.slug)
    return user, org


def unverified(user: User) -> bool:
    """An account made by a sign-up whose e-mail link was never followed: nobody has shown they
    own its address (inactive, never signed in)."""
    return not user.is_active and user.last_login is None


@transaction.atomic
def sign_up(*, full_name: str, email: str, password: str) -> User | None:
    """A person asks for their own account, when the instance allows it.

    The account waits, inactive, until the link e-mailed to the address is followed
    (:func:`verify_sign_up`): anyone could otherwise take a colleague's address and be let into
    an organisation that later adds it. The answer is the same whether the address has an
    account or not (no account enumeration): an address that has one gets an e-mail saying so,
    with a link to reset its password; ``None`` is returned then.
    """
    if not InstanceSettings.load().allow_signup:
        raise Forbidden("This instance does not take sign-ups: ask for an invitation.")
    full_name = full_name.strip()
    email = check_new_person(email, password, full_name, taken_ok=True)
    existing = User.objects.select_for_update().filter(email=email).first()
    if existing is not None and not unverified(existing):
        # One password hash on this path too: a new address paid for one and an existing
        # account did not, and the time told which addresses have an account.
        make_password(password)
        transaction.on_commit(lambda: _send_account_mail(email, "signup_taken", active=True))
        log.info("sign-up for an existing account %s: told by e-mail", email)
        return None
    if existing is not None:  # an earlier sign-up, never confirmed: this one replaces it
        existing.full_name = full_name
        existing.set_password(password)
        existing.save(update_fields=["full_name", "password"])
        user = existing
    else:
        try:
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name, is_active=False
            )
        except IntegrityError as exc:  # pragma: no cover - raced with the same e-mail
            raise Invalid("There is already an account with this e-mail.", field="email") from exc
    transaction.on_commit(lambda: _send_account_mail(email, "signup_confirm", active=False))
    log.info("person %s signed up (waiting for the e-mail link)", user.email)
    return user


@transaction.atomic
def _sign_up_of(uidb64: str, token: str, *, lock: bool) -> User | None:
    """The account a sign-up's e-mailed link opens, while it can: not used, not expired."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_str
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, TypeError):
        return None
    rows = User.objects.select_for_update() if lock else User.objects.all()
    user = rows.filter(pk=pk).first()
    if user is None or not unverified(user) or not default_token_generator.check_token(user, token):
        return None
    return user


def sign_up_link_works(uidb64: str, token: str) -> bool:
    """Whether the link would open an account (its page asks first: see the view)."""
    return _sign_up_of(uidb64, token, lock=False) is not None


def verify_sign_up(uidb64: str, token: str) -> User | None:
    """Activate the account of a sign-up whose e-mailed link this is; ``None`` when the link is
    not (or no longer) valid: used once, expired, or its account already in use."""
    user = _sign_up_of(uidb64, token, lock=True)
    if user is None:
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    log.info("person %s confirmed their sign-up", user.email)
    return user


def _send_account_mail(email: str, template: str, *, active: bool) -> None:
    from twofold.accounts.emails import AccountEmailForm, SignUpEmailForm

    form = (AccountEmailForm if active else SignUpEmailForm)({"email": email})
    if form.is_valid():
        form.save(
            subject_template_name=f"registration/{template}_subject.txt",
            email_template_name=f"registration/{template}_email.txt",
        )


@transaction.atomic
def update_instance_settings(
    *, actor: User, expected_version: int | None, allow_signup: bool
) -> InstanceSettings:
    """Instance administrators (superusers) decide whether anyone may sign up."""
    if not actor.is_superuser:
        raise Forbidden("Only an instance administrator can change instance settings.")
    instance = InstanceSettings.load()
    before = instance.allow_signup
    instance.allow_signup = allow_signup
    save_versioned(instance, expected_version=expected_version, fields=["allow_signup"])
    if before != allow_signup:
        log.info("allow_signup %s -> %s by %s", before, allow_signup, actor.email)
    return instance


PERSON_NAME_MAX = 150


def clean_person_name(name: str) -> str:
    """A person's name as stored: spaces collapsed, at most 150 characters (blank: none, and
    pages show the e-mail address)."""
    name = " ".join(str(name).split())
    if len(name) > PERSON_NAME_MAX:
        raise Invalid(
            f"A name has at most {PERSON_NAME_MAX} characters (this one has {len(name)}).",
            field="full_name",
        )
    return name


@transaction.atomic
def update_preferences(
    *, actor: User, timezone: str | None = None, full_name: str | None = None
) -> User:
    """A person's own settings: their name and their time zone (blank: their organisation's).
    ``None`` keeps a value. Only the person sets their name (an inviter's name stays on the
    invitation: see :func:`add_member`); like the time zone, a new name is not recorded in any
    organisation's history (it is the person's, not an organisation's)."""
    fields = []
    if full_name is not None:
        full_name = clean_person_name(full_name)
    if timezone is not None:
        timezone = timezone.strip()
        if timezone:
            _check_timezone(timezone)
        actor.timezone = timezone
        fields.append("timezone")
    if full_name is not None:
        if full_name != actor.full_name:
            log.info("person %s changed their name", actor.pk)
        actor.full_name = full_name
        fields.append("full_name")
    if fields:
        actor.save(update_fields=fields)
    return actor


def _delete_everything(organisation: Organisation) -> dict[str, int]:
    """Delete the organisation and all of it; rows deleted per model label.

    Some rows protect what they refer to (a queue its calendar); when both belong to this
    organisation the protecting rows go first. A row of another organisation that protects
    something here stops the deletion (``Conflict``): nobody else's data is touched.
    """
    counts: Counter[str] = Counter()

    def delete(queryset: models.QuerySet[Any], depth: int = 0) -> None:
        if depth > 10:  # pragma: no cover - a protection chain longer than any model has
            raise Conflict("The organisation could not be deleted; try again.")
        while True:
            try:
                _total, per_model = queryset.delete()
            except ProtectedError as exc:
                by_model: dict[type[models.Model], list[Any]] = {}
                for obj in exc.protected_objects:
                    if getattr(obj, "organisation_id", organisation.pk) != organisation.pk:
                        raise Conflict(
                            "Another organisation's data refers to this one; it cannot be deleted."
                        ) from exc
                    by_model.setdefault(type(obj), []).append(obj.pk)
                for model, pks in by_model.items():
                    delete(model._default_manager.filter(pk__in=pks), depth + 1)
                continue
            counts.update(per_model)
            return

    # An import's stand-ins are the organisation's too (no other organisation's rows name them).
    stand_ins = list(
        StandIn.objects.filter(organisation=organisation).values_list("user_id", flat=True)
    )
    delete(Organisation.objects.filter(pk=organisation.pk))
    if stand_ins:
        delete(User.objects.filter(pk__in=stand_ins))
    return {label: n for label, n in counts.items() if n}


def _stored_files(organisation: Organisation) -> list[str]:
    """The names of every uploaded file of the organisation: each model's file fields, read by
    its ``organisation`` (attachments, routine evidence, expense receipts, whatever comes)."""
    names: list[str] = []
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if not fields or not any(f.name == "organisation" for f in model._meta.concrete_fields):
            continue
        for row in model._base_manager.filter(organisation=organisation).values_list(*fields):
            names.extend(str(name) for name in row if name)
    return names


def _plural_counts(counts: dict[str, int]) -> dict[str, int]:
    named: Counter[str] = Counter()
    for label, n in counts.items():
        if label in {"accounts.Organisation"}:
            continue
        named[str(apps.get_model(label)._meta.verbose_name_plural)] += n
    return dict(sorted(named.items()))


def deletion_counts(organisation: Organisation) -> dict[str, int]:
    """What deleting the organisation would remove, by plural name (a rehearsal, rolled back)."""
    with transaction.atomic():
        counts = _delete_everything(organisation)
        transaction.set_rollback(True)
    return _plural_counts(counts)


def delete_organisation(*, actor: User, organisation: Organisation, confirm_name: str) -> None:
    """Owners only, with the organisation's name typed. Everything of it goes; a record stays."""
    require(actor, Action.OWN, organisation)
    if confirm_name.strip() != organisation.name:
        raise Invalid(
            "Type the organisation's name exactly as shown to confirm.", field="confirm_name"
        )
    with transaction.atomic():
        files = _stored_files(organisation)
        counts = _plural_counts(_delete_everything(organisation))
        # The uploaded files go too, once the rows are gone for good (they stayed on disk).
        transaction.on_commit(lambda: remove_stored(files), robust=True)
        OrganisationDeletion.objects.create(
            organisation_id=organisation.pk,
            name=organisation.name,
            slug=organisation.slug,
            deleted_by=actor,
            deleted_by_email=actor.email,
            counts=counts,
        )
    log.warning(
        "organisation %s (%s) deleted by %s: %s",
        organisation.pk,
        organisation.slug,
        actor.email,
        counts,
    )


ORGANISATION_CHANGED: list[Callable[[User, Organisation, dict[str, Any]], None]] = []
"""Listeners called in the writing transaction with the actor, an organisation and its recorded
changes (feature apps register in their ``ready``: operations re-plans routines on a new time
zone, costs regroups timesheets on a new first weekday)."""


@transaction.atomic
def update_organisation(
    *, actor: User, organisation: Organisation, expected_version: int | None, **values: Any
) -> Organisation:
    require(actor, Action.MANAGE, organisation)
    unknown = set(values) - set(ORG_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _reject_nulls(values)
    if "name" in values:
        values["name"] = _clean_org_name(values["name"])
    _check_org_conventions(values)
    if (
        "fiscal_year_start_month" in values
        and not 1 <= int(values["fiscal_year_start_month"]) <= 12
    ):
        raise Invalid(
            "The fiscal year starts in a month from 1 to 12.", field="fiscal_year_start_month"
        )
    before = history.snapshot(organisation, values)
    for key, value in values.items():
        setattr(organisation, key, value)
    save_versioned(organisation, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(organisation, values))
    if changes:
        history.record(actor=actor, obj=organisation, action="updated", changes=changes)
        for listener in ORGANISATION_CHANGED:
            listener(actor, organisation, changes)
    return organisation


def _require_role_change_allowed(
    actor: User, organisation: Organisation, old: Role | None, new: Role | None
) -> None:
    require(actor, Action.MANAGE, organisation)
    actor_role = role_in(actor, organisation.pk)
    assert actor_role is not None
    touches_owner_or_admin = any(r in {Role.OWNER, Role.ADMIN} for r in (old, new) if r is not None)
    if touches_owner_or_admin and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can grant or change the admin and owner roles.")


def _ensure_an_owner_remains(organisation: Organisation, leaving: Membership) -> None:
    """Refuse to lose the last owner. Locks the owner memberships first (call inside the
    transaction), so two owners demoting each other at once take turns: the second sees the
    first's change and is refused."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if leaving.pk in owners and len(owners) < 2:
        raise Invalid("An organisation must keep at least one owner.", field="role")


@transaction.atomic
def add_member(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    full_name: str = "",
    role: str = Role.MEMBER,
    invite: bool = True,
) -> Invitation:
    """Invite a person by e-mail, in ``role``: they join when they accept (on their profile or
    through the API), as GitHub or Asana ask before putting anyone in an organisation. Someone
    new gets an account without a password, and an e-mail (sent after commit, unless
    ``invite`` is False) to choose one; someone with an account gets an e-mail to accept.

    Both answer the same invitation, named with ``full_name`` as given: the organisation learns
    neither whether the address had an account here nor its owner's name before they accept
    (until 2026-12-05 someone new was added at once and an existing account invited under its
    own name, which told any administrator — and anyone may make an organisation — which
    addresses were registered, and whose).

    The name is the invitation's, never the account's: an account made here has no name until
    its person accepts an invitation (which names them as it did, or as they write it on the
    accept form) or sets their own (:func:`update_preferences`). Until 2026-12-06 the account
    took the first inviter's name, so any organisation — even one whose invitation was
    withdrawn — chose the name every other organisation saw, and the person could not change
    it."""
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}.", field="role")
    _require_role_change_allowed(actor, organisation, None, Role(role))
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid("Enter a valid e-mail address.", field="email") from exc
    if email.endswith("@" + STAND_IN_DOMAIN):  # an import's stand-in: nobody to invite
        raise Invalid("Enter a valid e-mail address.", field="email")
    name = full_name.strip()
    user = User.objects.filter(email=email).first()  # stored lower-cased: exact, see auth.py
    new_account = user is None
    if user is None:
        user = User.objects.create_user(email=email)  # no name: see the docstring
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif not user.has_usable_password() and user.last_login is None:
        # Invited before (or made by an import) and never signed in: this e-mail must carry
        # the link to choose a password too, or they have no way in but to guess "Forgotten
        # your password?". Its person never chose the name it has (an inviter or an archive
        # did, before 2026-12-06): it goes, and accepting names them.
        new_account = True
        if user.full_name:
            user.full_name = ""
            user.save(update_fields=["full_name"])
    elif unverified(user):
        # A sign-up nobody confirmed: whoever made it has not shown they own the address (it
        # may be a colleague's, taken to be let in here). The address's owner gets the
        # e-mail and chooses the password; the unconfirmed one is dropped, and so is the
        # name it gave (the inviter's name is the invitation's).
        user.set_unusable_password()
        user.is_active = True
        user.full_name = ""
        user.save(update_fields=["password", "is_active", "full_name"])
        new_account = True
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise Invalid(f"{email} is already a member.", field="email")
    return _invite(actor, organisation, user, Role(role), name=name, send=invite, new=new_account)


def _invite(
    actor: User,
    organisation: Organisation,
    user: User,
    role: Role,
    *,
    name: str,
    send: bool,
    new: bool,
) -> Invitation:
    if Invitation.objects.filter(organisation=organisation, user=user).exists():
        raise Invalid(
            f"{user.email} is already invited: they join when they accept.", field="email"
        )
    invitation = Invitation.objects.create(
        organisation=organisation, user=user, role=role, invited_by=actor, name=name
    )
    history.record(
        actor=actor,
        obj=organisation,
        action="member invited",
        summary=f"Invited {invitation.label} as {role.label}",
    )
    if send and invitation_mail_allowed(user.email):
        email, org_name, inviter = user.email, organisation.name, actor.display_name
        if new:  # a link to choose a password first
            transaction.on_commit(lambda: _send_invitation(email, org_name, inviter, role.label))
        else:
            transaction.on_commit(
                lambda: _send_join_invitation(email, org_name, inviter, role.label)
            )
    return invitation


def _send_join_invitation(email: str, organisation: str, inviter: str, role: str) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    from twofold.accounts import mail

    context = {
        "organisation": organisation,
        "inviter": inviter,
        "role": role,
        "url": settings.TWOFOLD_BASE_URL.rstrip("/") + reverse("accounts:profile"),
    }
    subject = render_to_string("registration/join_invitation_subject.txt", context)
    body = render_to_string("registration/join_invitation_email.txt", context)
    recipient = User.objects.filter(email=email).first()
    mail.deliver(EmailMultiAlternatives(" ".join(subject.split()), body, None, [email]), recipient)


def _own_invitation(actor: User, invitation: Invitation) -> None:
    if invitation.user_id != actor.pk:
        raise NotFound("Invitation not found.")


@transaction.atomic
def accept_invitation(
    *, actor: User, invitation: Invitation, full_name: str | None = None
) -> Membership:
    """The invited person joins in the invitation's role (only they may accept it).

    A person without a name (an account an invitation made) takes ``full_name``, the name they
    wrote on the accept form, or else the invitation's; a name they have is kept (set it on
    *Preferences*)."""
    _own_invitation(actor, invitation)
    name = invitation.name if full_name is None else clean_person_name(full_name)
    organisation = invitation.organisation
    deleted, _ = Invitation.objects.filter(pk=invitation.pk, user=actor).delete()
    if not deleted:  # withdrawn (or answered) since it was read
        raise NotFound("Invitation not found.")
    if name and User.objects.filter(pk=actor.pk, full_name="").update(full_name=name):
        actor.full_name = name
    moved = 0
    if invitation.stand_in_id is not None:
        moved = _hand_over(invitation.stand_in_id, actor, organisation)
    found = Membership.objects.filter(organisation=organisation, user=actor).first()
    if found is not None:
        return found  # added meanwhile (e.g. by an import): the invitation has done its work
    membership = Membership.objects.create(
        organisation=organisation, user=actor, role=invitation.role
    )
    places = [int(value) for value in invitation.teams or [] if isinstance(value, int)]
    if places:
        # The teams the invitation kept a place in (an organisation import's), if still there.
        for team in Team.objects.filter(
            organisation=organisation, pk__in=[abs(value) for value in places]
        ):
            team.members.add(actor)
            changes: dict[str, list[Any]] = {"members": [None, actor.display_name]}
            if (
                -team.pk in places
                and team.lead_id is None
                and Team.objects.filter(pk=team.pk, lead__isnull=True).update(lead=actor)
            ):
                changes["lead"] = [None, actor.display_name]
            history.record(
                actor=actor,
                obj=team,
                action="updated",
                changes=changes,
                summary=f"{actor.display_name} joined {team.name} (kept by the invitation)",
            )
    history.record(
        actor=actor,
        obj=membership,
        action="member added",
        changes={"role": [None, invitation.role]},
        summary=f"{actor.display_name} accepted the invitation as {Role(invitation.role).label}"
        + (
            f" ({moved} imported record{'s' if moved != 1 else ''} under "
            f"“{invitation.label}” now name them)"
            if moved
            else ""
        ),
    )
    return membership


def _hand_over(stand_in_id: int, person: User, organisation: Organisation) -> int:
    """Every row naming an import's stand-in (:class:`StandIn`) names ``person`` instead; how
    many rows moved. Rows are found through every foreign key to the user model, of every app
    (a model added later is included without anyone listing it). A column whose rows cannot
    move (one would repeat a row the person already has, against a unique constraint) keeps
    the stand-in. The stand-in itself stays, inactive: history entries written since the
    import name it by id, and read its name (the organisation's name for the person).
    Amounts priced by the person's rates are worked out again (the organisation's rates
    stamp moves: a time entry of the stand-in's is now the person's)."""
    if not StandIn.objects.filter(user_id=stand_in_id, organisation=organisation).exists():
        return 0  # not this organisation's stand-in (nothing else can be handed over)
    moved = 0
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if (
                not field.is_relation
                or field.related_model is not User
                or model in (StandIn, Invitation)
            ):
                continue
            try:
                with transaction.atomic():
                    moved += model._base_manager.filter(**{field.attname: stand_in_id}).update(
                        **{field.attname: person.pk}
                    )
            except IntegrityError:
                continue
    if moved:
        Organisation.objects.filter(pk=organisation.pk).update(
            rates_stamp=models.F("rates_stamp") + 1
        )
    return moved


@transaction.atomic
def decline_invitation(*, actor: User, invitation: Invitation) -> None:
    """The invited person says no: the invitation is gone, and the organisation's history says
    so."""
    _own_invitation(actor, invitation)
    Invitation.objects.filter(pk=invitation.pk).delete()
    # Named as the organisation named them, with no actor: the person never joined, so the
    # organisation learns neither their account's name nor that it existed before.
    history.record(
        actor=None,
        obj=invitation.organisation,
        action="invitation declined",
        summary=f"{invitation.label} declined the invitation",
    )


@transaction.atomic
def withdraw_invitation(*, actor: User, invitation: Invitation) -> None:
    """An administrator takes back an invitation not yet accepted (one to be an owner or an
    admin: an owner, as for changing such a role)."""
    _require_role_change_allowed(actor, invitation.organisation, Role(invitation.role), None)
    Invitation.objects.filter(pk=invitation.pk).delete()
    history.record(
        actor=actor,
        obj=invitation.organisation,
        action="invitation withdrawn",
        summary=f"Withdrew the invitation of {invitation.label}",
    )


def _send_invitation(email: str, organisation: str = "", inviter: str = "", role: str = "") -> None:
    from django.urls import reverse

    from twofold.accounts.emails import AccountEmailForm

    form = AccountEmailForm({"email": email})
    if form.is_valid():
        form.save(
            subject_template_name="registration/invitation_subject.txt",
            email_template_name="registration/invitation_email.txt",
            extra_email_context={
                "organisation": organisation,
                "inviter": inviter,
                "role": role,
                "profile_url": settings.TWOFOLD_BASE_URL.rstrip("/") + reverse("accounts:profile"),
            },
        )


@transaction.atomic
def change_member_role(
    *, actor: User, membership: Membership, role: str, expected_version: int | None
) -> Membership:
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}.", field="role")
    old = Role(membership.role)
    _require_role_change_allowed(actor, membership.organisation, old, Role(role))
    if old == Role.OWNER and role != Role.OWNER:
        _ensure_an_owner_remains(membership.organisation, membership)

    membership.role = role
    save_versioned(membership, expected_version=expected_version, fields=["role"])
    if old != role:
        history.record(
            actor=actor,
            obj=membership,
            action="role changed",
            changes={"role": [old.value, role]},
            summary=f"{membership.user.display_name}: {old.label} → {Role(role).label}",
        )
        for follow in ROLE_CHANGED:
            follow(actor, membership, old)
    return membership


@transaction.atomic
def remove_member(
    *, actor: User, membership: Membership, expected_version: int | None = None
) -> None:
    """Remove a member. ``expected_version``: the membership's, as read (a role changed since
    is a Conflict and nobody is removed)."""
    organisation = membership.organisation
    if membership.user_id != actor.pk:
        _require_role_change_allowed(actor, organisation, Role(membership.role), None)
    if expected_version is not None:
        locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if locked is not None and locked.version != expected_version:
            raise Conflict(
                f"Someone changed {membership.user.display_name}'s membership since you read "
                "it: look again before removing them."
            )
    _ensure_an_owner_remains(organisation, membership)
    history.record(
        actor=actor,
        obj=membership,
        action="member removed",
        changes={"role": [membership.role, None]},
        summary=f"Removed {membership.user.display_name}",
    )
    for team in Team.objects.filter(organisation=organisation, members=membership.user):
        team.members.remove(membership.user)
    # A team led by someone who left has no lead (it kept naming them).
    Team.objects.filter(organisation=organisation, lead=membership.user).update(lead=None)
    # Their feed addresses of this organisation end (they answered 404 while the person was
    # out, and worked again once they were added back).
    for revoke in FEEDS_OF:
        revoke(membership.user, organisation)
    # What the apps above keep per person in this organisation (the change board: a member
    # who left stayed on it, and "the board decides" blocked every decision).
    for leave in MEMBER_REMOVED:
        leave(actor, membership.user, organisation)
    membership.delete()


def _check_team_values(
    organisation: Organisation, values: dict[str, Any], team: Team | None
) -> None:
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise Invalid("A team needs a name.", field="name")
        clash = Team.objects.filter(organisation=organisation, name__iexact=values["name"])
        if team is not None:
            clash = clash.exclude(pk=team.pk)
        if clash.exists():
            raise Invalid(f"There is already a team called {values['name']}.", field="name")
    lead = values.get("lead")
    if (
        lead is not None
        and not Membership.objects.filter(organisation=organisation, user=lead).exists()
    ):
        raise Invalid("The lead must be a member of the organisation.", field="lead")


def _check_members(organisation: Organisation, members: Iterable[User]) -> list[User]:
    members = list(members)
    ids = {m.pk for m in members}
    known = set(
        Membership.objects.filter(organisation=organisation, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    if ids - known:
        raise Invalid("Every team member must be a member of the organisation.", field="members")
    return members


@transaction.atomic
def create_team(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    description: str = "",
    lead: User | None = None,
    members: Iterable[User] = (),
) -> Team:
    require(actor, Action.MANAGE, organisation)
    values: dict[str, Any] = {"name": name, "description": description, "lead": lead}
    _check_team_values(organisation, values, None)
    member_list = _check_members(organisation, members)
    try:
        team = Team.objects.create(organisation=organisation, **values)
    except IntegrityError as exc:  # pragma: no cover - raced with another create
        raise Invalid("There is already a team with that name.", field="name") from exc
    team.members.set(member_list)
    history.record(
        actor=actor,
        obj=team,
        action="created",
        changes={"members": [[], sorted(m.display_name for m in member_list)]},
        summary=f"Created team {team.name}",
    )
    return team


@transaction.atomic
def update_team(
    *,
    actor: User,
    team: Team,
    expected_version: int | None,
    members: Iterable[User] | None = None,
    **values: Any,
) -> Team:
    require(actor, Action.MANAGE, team)
    unknown = set(values) - set(TEAM_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    _reject_nulls(values, nullable=frozenset({"lead"}))
    _check_team_values(team.organisation, values, team)
    before = history.snapshot(team, values)
    before_members = sorted(m.display_name for m in team.members.all())
    for key, value in values.items():
        setattr(team, key, value)
    save_versioned(team, expected_version=expected_version, fields=list(values))
    changes = history.diff(before, history.snapshot(team, values))
    if members is not None:
        member_list = _check_members(team.organisation, members)
        team.members.set(member_list)
        after_members = sorted(m.display_name for m in member_list)
        if after_members != before_members:
            changes["members"] = [before_members, after_members]
    if changes:
        history.record(actor=actor, obj=team, action="updated", changes=changes)
    return team


@transaction.atomic
def delete_team(*, actor: User, team: Team, expected_version: int | None = None) -> None:
    """Delete ``team`` for good. ``expected_version``: as read; someone's change since (a new
    name, members) is a Conflict and nothing is deleted."""
    require(actor, Action.MANAGE, team)
    history.record(actor=actor, obj=team, action="deleted", summary=f"Deleted team {team.name}")
    delete_versioned(team, expected_version=expected_version, what=f"the team {team.name}")


@transaction.atomic
def create_api_token(
    *, actor: User, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """A new token for ``actor``; returns it with the full secret, which is never stored."""
    name = name.strip()
    if not name:
        raise Invalid("Give the token a name so you can recognise it later.", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise Invalid(
            f"Expiry must be between 1 and {MAX_TOKEN_DAYS} days.", field="expires_in_days"
        )
    prefix, secret, full = new_token_material()
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=prefix, secret_hash=hash_secret(secret), expires_at=expires_at
    )
    return token, full


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        from twofold.core.errors import NotFound

        raise NotFound("Token not found.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def revoke_all_api_tokens(user: User) -> int:
    """Revoke every live token of ``user`` (a password chosen through a reset link: whoever held
    the old password or a session could have made one). Returns how many were revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


FEEDS_OF: list[Callable[[User, Organisation | None], int]] = []
"""Apps whose secret addresses act for a person (calendar and activity feeds) revoke them here,
in one organisation or (None) all (each returns how many): ``revoke_credentials`` and
``remove_member`` call them."""


MEMBER_REMOVED: list[Callable[[User | None, User, Organisation], None]] = []
"""Apps keeping rows per person of an organisation that must end when the person leaves it
(the change board) register here: ``remove_member`` calls each with (actor, person,
organisation) in its transaction."""


ROLE_CHANGED: list[Callable[[User, Membership, Role], None]] = []
"""Apps keeping work assigned per person that a new role rules out (a guest works no routine)
register here: ``change_member_role`` calls each with (actor, membership, old role) in its
transaction, after a change."""


def revoke_credentials(user: User) -> tuple[int, int]:
    """A new password (changed, or chosen through a reset link): whoever held the old one or a
    session could have made an API token or a feed address that outlived it. Revokes both;
    returns (tokens, feeds) revoked. A password change kept both working, and a reset kept the
    feeds (a review found it)."""
    tokens = revoke_all_api_tokens(user)
    feeds = sum(revoke(user, None) for revoke in FEEDS_OF)
    return tokens, feeds


def credentials_revoked_message(tokens: int, feeds: int) -> str:
    """What the page says after :func:`revoke_credentials` ('' when nothing was revoked)."""
    parts = []
    if tokens:
        parts.append(f"{tokens} API token{'s' if tokens > 1 else ''}")
    if feeds:
        parts.append(f"{feeds} feed address{'es' if feeds > 1 else ''}")
    if not parts:
        return ""
    return (
        f"Your {' and '.join(parts)} {'were' if tokens + feeds > 1 else 'was'} revoked: make new "
        "ones for the tools that need them."
    )


def member_rank(actor: User, organisation: Organisation) -> int:
    role = role_in(actor, organisation.pk)
    return -1 if role is None else ROLE_RANK[role]


JOB_TITLE_MAX = 120


TITLES_BEGIN = dt.date(1900, 1, 1)
"""The first period of a person's titles (the title they had before their first change)."""


def _title_from_today(person: User, old: str, title: str, organisation: Organisation) -> None:
    """The new title holds from today (the organisation's day); the old one holds before it
    (a first title holds from the beginning).

    Role rates are looked up by the title in force on the day of the work
    (``costs.selectors.RateBook``): hours already worked keep their role's rate."""
    zone = dates.zone_or_none(organisation.timezone) or zoneinfo.ZoneInfo("UTC")
    today = timezone.localtime(timezone.now(), zone).date()
    if not JobTitlePeriod.objects.filter(user=person).exists():
        if not old:
            # A first title says what the person has been all along (titles are often filled
            # in after time was logged): it applies from the beginning.
            JobTitlePeriod.objects.create(user=person, title=title, since=TITLES_BEGIN)
            return
        JobTitlePeriod.objects.create(user=person, title=old, since=TITLES_BEGIN)
    JobTitlePeriod.objects.update_or_create(user=person, since=today, defaults={"title": title})


def job_title_refusal(actor: User, membership: Membership) -> str | None:
    """Why ``actor`` may not change the job title of ``membership``'s person (``None``: they
    may). A title picks the person's role cost rate, so it is the administrators' to set, as
    rates are: an admin (or owner) of the organisation, and of every other organisation the
    person is in (the title is the person's, in each of them). The person themself included:
    until 2026-12-06 anyone could set their own title, and so choose the rate of their hours —
    of every hour they ever logged, for a first title."""
    person = membership.user
    if not can(actor, Action.MANAGE, membership.organisation):
        return (
            "Only an administrator can change a job title: it picks the cost rate of "
            f"{'your' if person.pk == actor.pk else 'the person’s'} hours."
        )
    administered = Membership.objects.filter(user=actor, role__in=[Role.ADMIN, Role.OWNER]).values(
        "organisation_id"
    )
    elsewhere = (
        Membership.objects.filter(user=person)
        .exclude(organisation_id=membership.organisation_id)
        .exclude(organisation_id__in=administered)
    )
    if elsewhere.exists():  # one query, whoever it is
        if person.pk == actor.pk:
            return (
                "You are also in an organisation you do not administer: your job title picks "
                "the cost rate of your hours there too, so you cannot change it."
            )
        return (
            f"{person.display_name} is also in another organisation you do not administer: "
            "their job title picks the cost rate of their hours there too, so you cannot "
            "change it."
        )
    return None


@transaction.atomic
def set_job_title(
    *,
    actor: User,
    membership: Membership,
    job_title: str,
    expected_version: int | None = None,
) -> User:
    """Change a person's job title: an administrator of every organisation they are in
    (:func:`job_title_refusal`; ``Forbidden`` naming ``job_title`` otherwise).

    The change is recorded in the history of ``membership`` (the organisation it was made in);
    ``expected_version`` is the membership's version when the page was read (stale → Conflict).
    """
    person = membership.user
    require(actor, Action.VIEW, membership.organisation)  # NotFound for an outsider
    refusal = job_title_refusal(actor, membership)
    if refusal:
        raise Forbidden(refusal, field="job_title")
    title = " ".join(job_title.split())
    if len(title) > JOB_TITLE_MAX:
        raise Invalid(
            f"A job title has at most {JOB_TITLE_MAX} characters (this one has {len(title)}).",
            field="job_title",
        )
    old = person.job_title
    save_versioned(membership, expected_version=expected_version, fields=[])
    if title != old:
        User.objects.filter(pk=person.pk).update(job_title=title)
        person.job_title = title
        _title_from_today(person, old, title, membership.organisation)
        history.record(
            actor=actor,
            obj=membership,
            action="job title changed",
            changes={"job_title": [old, title]},
            summary=f"{person.display_name}: job title “{title or '—'}”",
        )
    return person
