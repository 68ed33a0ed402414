"""Signing in: e-mail authentication, throttling of failed attempts, and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from twofold.accounts import directory
from twofold.accounts.models import (
    ApiToken,
    LoginFailure,
    Membership,
    PasswordResetRequest,
    User,
)
from twofold.core import policy
from twofold.core.fastread import FastRead

TOKEN_PREFIX = "tf"  # noqa: S105 - a public prefix, not a secret


_USER_BY_ID = FastRead(User, "t.id = %s")
# The user with all their memberships and organisations, as ``policy.memberships_of`` orders
# them: one read instead of two on every signed-in request (aliases: r organisation, r2 user).
# With them, the directory stamp: the key of the people selects' rows (accounts.directory).
_MEMBERSHIPS_AND_USER = FastRead(
    Membership,
    "t.user_id = %s",
    order_by="r.name, t.id",
    related=("organisation", "user"),
    extra={directory.ATTR: directory.STAMP.read_sql},
)
_TOKEN_BY_PREFIX = FastRead(ApiToken, "t.prefix = %s", related="user")  # prefix is unique


class EmailBackend(ModelBackend):
    """Authenticates with e-mail (case-insensitive) and password."""

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of a session (every request), read with their memberships (the
        request's organisation and every permission check need them); a user without any is
        read alone."""
        memberships = _MEMBERSHIPS_AND_USER.all([user_id])
        if memberships:
            first = memberships[0].user
            stamp = memberships[0].__dict__[directory.ATTR]
            if stamp is None:  # no stamp row (a flushed database): put it back, cache nothing
                directory.STAMP.current()
            for membership in memberships:
                membership.user = first  # one object for the request, as the ORM would share
                directory.keep(membership.organisation, stamp)
            policy.keep_memberships(first, memberships)
            user: User | None = first
        else:
            user = _USER_BY_ID.first([user_id])
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = (kwargs.get("email") or username or "").strip().lower()
        if not email or password is None:
            return None
        # Exact: e-mails are stored lower-cased. ``iexact`` compared UPPER() on PostgreSQL, where
        # "alice@gıthub.com" (dotless i) equals "alice@github.com" (docs/security.md).
        user = User.objects.filter(email=email).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or behind trusted proxies the X-Forwarded-For entry
    ``TWOFOLD_TRUSTED_PROXY_COUNT`` from the right (entries further left can be forged)."""
    proxies = settings.TWOFOLD_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


DEVICE_COOKIE = "twofold_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
_DEVICE_SALT = "twofold.accounts.device"


def _password_mark(email: str) -> str:
    """A short digest of the account's password hash ("" without an account): a device cookie
    stops counting once the password changes (a reset after a theft, say)."""
    user = User.objects.filter(email=email.lower()).only("password").first()
    if user is None:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{user.password}".encode()).hexdigest()[:16]


def device_token(email: str) -> str:
    """A device cookie for a browser ``email`` just signed in on: signed, with an id of its own
    and a mark of the current password (OWASP's device cookies: a browser that signed in before
    keeps its own count of failures, so failures from elsewhere never lock its owner out)."""
    payload = {"e": email.lower(), "n": secrets.token_hex(8), "p": _password_mark(email)}
    return signing.dumps(payload, salt=_DEVICE_SALT)


def device_of(request: HttpRequest, email: str) -> str:
    """The id of the request's device cookie when it is valid, was given to ``email`` (within
    :data:`DEVICE_MAX_AGE`) and the password has not changed since, else ``""``."""
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw or len(raw) > 1024:
        return ""
    try:
        found = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(found, dict) or found.get("e") != email.lower():
        return ""
    nonce = found.get("n")
    if not (isinstance(nonce, str) and 0 < len(nonce) <= 32):
        return ""
    mark = _password_mark(email)
    return nonce if mark and hmac.compare_digest(str(found.get("p", "")), mark) else ""


def trust_device(response: Any, request: HttpRequest, email: str) -> None:
    """Give the browser a (new) device cookie for ``email`` after a successful sign-in: each
    sign-in renews its 180 days."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_token(email),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def lockout_seconds_left(
    email: str,
    ip_address: str,
    now: dt.datetime | None = None,
    *,
    device: str = "",
    beyond: int = 0,
) -> int:
    """Seconds until sign-in is allowed again for this e-mail or address (0 = not locked).

    Within ``LOGIN_FAILURE_WINDOW_SECONDS``: ``LOGIN_FAILURE_LIMIT`` failures for this e-mail
    from this address lock that pair; four times as many for the e-mail from any addresses
    lock the e-mail (guessing one account from many addresses); four times as many from the
    address lock it (spraying many accounts). Five wrong passwords from anywhere locked the
    account everywhere before, so anyone could keep anyone out with five requests a quarter of
    an hour; a password reset clears an e-mail's failures (:func:`clear_login_failures`).

    From a browser this e-mail signed in on before (``device``, :func:`device_of`) only that
    device's own failures count, ``LOGIN_FAILURE_LIMIT`` of them: twenty failures from fresh
    addresses lock the e-mail for every other browser, not for its owner's.

    ``beyond``: failures allowed over each limit (:func:`begin_attempt` counts its own).
    """
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = LoginFailure.objects.filter(at__gte=now - window)
    left = 0
    checks = (
        [(Q(email=email.lower(), device=device), limit)]
        if device
        else [
            (Q(email=email.lower(), ip_address=ip_address), limit),
            (Q(email=email.lower()), limit * 4),
            (Q(ip_address=ip_address), limit * 4),
        ]
    )
    for criteria, limit_here in checks:
        allowed = limit_here + beyond
        times = list(recent.filter(criteria).order_by("-at").values_list("at", flat=True)[:allowed])
        if len(times) >= allowed:
            oldest_counted = times[-1]
            left = max(left, int((oldest_counted + window - now).total_seconds()) + 1)
    return left


def record_login_failure(email: str, ip_address: str, *, device: str = "") -> int:
    """Record a failed attempt; its row's id."""
    now = timezone.now()
    row = LoginFailure.objects.create(
        email=email.lower()[:254], ip_address=ip_address, at=now, device=device
    )
    cutoff = now - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS * 2)
    LoginFailure.objects.filter(at__lt=cutoff).delete()
    return int(row.pk)


def begin_attempt(email: str, ip_address: str, *, device: str = "") -> tuple[int, int | None]:
    """Check the lock and count this attempt as a failure *before* its password is checked:
    ``(seconds locked, the attempt's row id)``, the id ``None`` when locked.

    Checked first and recorded after the password check, attempts running at the same time
    each saw none of the others: any number of concurrent guesses passed a lock of five. Now
    each is counted before it is checked (autocommit: the others see it at once), and one that
    finds more attempts than allowed once counted is refused unchecked (its row dropped: it
    guessed nothing). A right password clears the row with the pair's other failures
    (:func:`clear_login_failures`); :func:`forget_attempt` drops it when the attempt turns out
    not to be a guess (a form refused for another reason)."""
    locked = lockout_seconds_left(email, ip_address, device=device)
    if locked:
        return locked, None
    attempt = record_login_failure(email, ip_address, device=device)
    locked = lockout_seconds_left(email, ip_address, device=device, beyond=1)
    if locked:
        forget_attempt(attempt)
        return locked, None
    return 0, attempt


def forget_attempt(attempt: int | None) -> None:
    """Drop an attempt's row (:func:`begin_attempt`) that guessed nothing."""
    if attempt is not None:
        LoginFailure.objects.filter(pk=attempt).delete()


def clear_login_failures(email: str, *, ip_address: str | None = None, device: str = "") -> None:
    """Forget failures for ``email``: all of them (a password reset), or after a sign-in only
    those it answers for: this device's, and this address's for the e-mail. A sign-in from the
    owner's trusted browser wiped every failure before, giving whoever was guessing from
    elsewhere twenty fresh tries."""
    rows = LoginFailure.objects.filter(email=email.lower())
    if ip_address is None and not device:
        rows.delete()
        return
    scope = Q(ip_address=ip_address, device="") if ip_address is not None else Q(pk__in=[])
    if device:
        scope |= Q(device=device)
    rows.filter(scope).delete()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_material() -> tuple[str, str, str]:
    """(prefix, secret, full token). The full token is ``tf_<prefix>_<secret>``."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return prefix, secret, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def user_for_token(raw: str, now: dt.datetime | None = None) -> User | None:
    """The active user owning the token ``raw``, or None (unknown, revoked, expired, malformed)."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    token = _TOKEN_BY_PREFIX.first([prefix])
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    now = now or timezone.now()
    if not token.is_active(now) or not token.user.is_active:
        return None
    # Write last use at most once a minute: a busy client must not turn reads into writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


RESET_LIMIT_PER_EMAIL = 3
RESET_LIMIT_PER_ADDRESS = 20
RESET_WINDOW = dt.timedelta(hours=1)


INVITATION_MAILS_PER_DAY = 3
_INVITATION = "invitation"
"""``PasswordResetRequest.ip_address`` of an invitation e-mail (the rows limit both)."""


def invitation_mail_allowed(email: str, now: dt.datetime | None = None) -> bool:
    """Whether an invitation e-mail may go to ``email`` now (and records it): at most three a
    day to one address, whoever invites. Anyone may make an organisation, and its name and
    their own appear in the e-mail: inviting and withdrawing in a loop sent one every time."""
    now = now or timezone.now()
    email = email.strip().lower()[:254]
    sent = PasswordResetRequest.objects.filter(
        email=email, ip_address=_INVITATION, at__gte=now - dt.timedelta(days=1)
    ).count()
    if sent >= INVITATION_MAILS_PER_DAY:
        return False
    PasswordResetRequest.objects.create(email=email, ip_address=_INVITATION, at=now)
    return True


def reset_allowed(email: str, ip_address: str, now: dt.datetime | None = None) -> bool:
    """Whether a password-reset e-mail may go to ``email`` now (and records the request):
    at most three an hour to one address, twenty an hour from one client address. The form
    answers the same either way (no account enumeration); past the limit nothing is sent."""
    now = now or timezone.now()
    email = email.strip().lower()[:254]
    recent = PasswordResetRequest.objects.filter(at__gte=now - RESET_WINDOW).exclude(
        ip_address=_INVITATION
    )
    allowed = (
        recent.filter(email=email).count() < RESET_LIMIT_PER_EMAIL
        and recent.filter(ip_address=ip_address).count() < RESET_LIMIT_PER_ADDRESS
    )
    PasswordResetRequest.objects.create(email=email, ip_address=ip_address, at=now)
    PasswordResetRequest.objects.filter(at__lt=now - dt.timedelta(days=2)).delete()
    return allowed
