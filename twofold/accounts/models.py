"""People and organisations: users, organisations, memberships with roles, teams, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone as tz


class EmailUserManager(UserManager["User"]):
    """Creates users whose username is their (lower-cased) e-mail address."""

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        email = self.normalize_email(email).lower()
        extra.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra)  # type: ignore[arg-type]

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        email = self.normalize_email(email).lower()
        extra.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra)  # type: ignore[arg-type]


class User(AbstractUser):
    """A person who signs in with an e-mail address. Capacity is shared by projects and operations."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    weekly_capacity_hours = models.DecimalField(max_digits=5, decimal_places=2, default=40)
    timezone = models.CharField(
        max_length=64, blank=True, help_text="Blank: the organisation's time zone."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.replace("@", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class Role(models.TextChoices):
    """Roles in an organisation, weakest first. Rank decides what a role may do (see core.policy)."""

    GUEST = "guest", "Guest"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.value]


ROLE_RANK: dict[str, int] = {Role.GUEST: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class WeekStart(models.IntegerChoices):
    """The first day of the week, as ``date.weekday()`` numbers it."""

    MONDAY = 0, "Monday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class DateFormat(models.TextChoices):
    """How an organisation writes dates (see ``core.dates`` for the patterns)."""

    DAY_MONTH_NAME = "d_mon_y", "31 Dec 2026"
    DAY_MONTH_YEAR = "dd/mm/yyyy", "31/12/2026"
    MONTH_DAY_YEAR = "mm/dd/yyyy", "12/31/2026"
    ISO = "yyyy-mm-dd", "2026-12-31"


class Organisation(models.Model):
    """A company or public body: the boundary of everything its members can see."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="Europe/London")
    week_start = models.PositiveSmallIntegerField(
        choices=WeekStart.choices, default=WeekStart.MONDAY
    )
    date_format = models.CharField(
        max_length=12, choices=DateFormat.choices, default=DateFormat.DAY_MONTH_NAME
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)
    # Counts the changes to what an hour costs here (a rate added or removed, a job title that
    # picks a role's rate): cached cost figures include it in their key. Not ``version``, so
    # such a change never makes an edit of the settings stale.
    rates_stamp = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobTitlePeriod(models.Model):
    """A person's job title from a day on: a role's cost rate applies to hours by the title in
    force on the day they were worked (a new title repriced every past hour at the new role's
    rate). Written by ``services.set_job_title``; a person without rows has had their current
    title throughout."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="title_periods")
    title = models.CharField(max_length=120, blank=True)
    since = models.DateField()

    class Meta:
        ordering = ["user", "since"]
        constraints = [
            models.UniqueConstraint(fields=["user", "since"], name="job_title_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.title!r} from {self.since}"


class Membership(models.Model):
    """A user's place in an organisation, with the role that decides what they may do."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=tz.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def rank(self) -> int:
        return ROLE_RANK[Role(self.role)]


class Invitation(models.Model):
    """A person asked to join an organisation, in a role: they become a member when they accept
    it (on their profile or through the API), or never. Adding someone who already had an
    account made them a member of an organisation they had not chosen, which then showed in
    their organisation switcher and could mail them; since 2026-12-05 everyone added is invited,
    an account made for the occasion too, so the organisation cannot tell which addresses had
    an account here (nor see its owner's name before they accept: it sees ``name``)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    name = models.CharField(
        max_length=150, blank=True, default="", help_text="The name the inviter gave."
    )
    teams = models.JSONField(
        default=list,
        blank=True,
        help_text="Ids of the teams the person joins on accepting (an organisation import keeps "
        "the archive's teams this way); a negative id: a team they also lead.",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stand_in = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account an organisation import made to hold the person's rows until "
        "they accept (see StandIn); accepting hands those rows over to them.",
    )
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="invitation_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.organisation} ({self.role})"

    @property
    def label(self) -> str:
        """How the organisation names the person until they accept: the inviter's name for
        them, else the e-mail address (never the account's own name)."""
        return self.name or self.user.email


STAND_IN_DOMAIN = "stand-in.invalid"
"""The domain of the addresses stand-ins are made with (``.invalid``: reserved, never mail)."""


class StandIn(models.Model):
    """An account an organisation import made in place of one of the archive's people, so that
    the importer learns neither whether the address had an account here nor its owner's name:
    the imported rows name the stand-in (inactive, no password, an address of its own in
    :data:`STAND_IN_DOMAIN`, with the name, title and capacity the archive gives). When the
    person accepts the import's invitation, every row naming the stand-in names them instead
    (the stand-in stays, named by no row: history written since names it by id); if they never
    accept, the rows keep it, as the organisation knew them. Deleting the organisation deletes
    its stand-ins."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stand_in"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="stand_ins"
    )
    email = models.EmailField(
        blank=True, help_text="The address the archive gave (blank: the archive's own stand-in)."
    )

    def __str__(self) -> str:
        return f"{self.user} (stand-in in {self.organisation})"


class Team(models.Model):
    """A group of people in an organisation, e.g. "Quality" or "Line 2 production"."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal API token. Only a hash of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=tz.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: object | None = None) -> bool:
        moment = now or tz.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment  # type: ignore[operator]


class LoginFailure(models.Model):
    """One failed sign-in, kept for throttling (rows older than the window are pruned)."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(default=tz.now, db_index=True)
    # The device cookie's id when the attempt came from a browser this e-mail signed in on
    # before (``accounts.auth.device_of``), else empty.
    device = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.email} from {self.ip_address} at {self.at:%Y-%m-%d %H:%M}"


class PasswordResetRequest(models.Model):
    """One request for a password-reset e-mail, kept to limit them (pruned after a day): the
    form sent an e-mail for every request, so anyone could flood an inbox."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(default=tz.now, db_index=True)

    def __str__(self) -> str:
        return f"reset for {self.email} from {self.ip_address} at {self.at:%Y-%m-%d %H:%M}"


class InstanceSettings(models.Model):
    """The one row of instance-wide settings (``pk=1``), edited by instance administrators.

    ``set_up_at`` records the first-run set-up; its row lock makes two simultaneous set-ups
    take turns, so exactly one of them creates the first person.
    """

    allow_signup = models.BooleanField(
        default=False,
        help_text="Anyone may create an account. Invitations work either way.",
    )
    set_up_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "instance settings"

    def __str__(self) -> str:
        return "Instance settings"

    @classmethod
    def load(cls) -> InstanceSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class OrganisationDeletion(models.Model):
    """What is left of a deleted organisation: who deleted it, when, and what it held.

    Kept outside the organisation (no foreign key to it), so the record survives the cascade.
    """

    organisation_id = models.PositiveBigIntegerField()
    name = models.CharField(max_length=120)
    slug = models.CharField(max_length=60)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_by_email = models.CharField(max_length=254)
    deleted_at = models.DateTimeField(default=tz.now)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return f"{self.name} deleted by {self.deleted_by_email} at {self.deleted_at:%Y-%m-%d %H:%M}"


class DirectoryStamp(models.Model):
    """One row whose ``value`` database triggers re-draw on every change to who belongs to which
    organisation and to people's names (see ``accounts.directory``): the key under which the
    people selects' rows are kept."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Directory stamp {self.value}"
