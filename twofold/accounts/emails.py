"""Account e-mails (invitation, password reset): links on ``TWOFOLD_BASE_URL``, times in the
recipient's zone and their organisation's date format."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import timezone

from twofold.accounts import mail
from twofold.accounts.models import Invitation, Membership, User
from twofold.core import dates


def recipient_conventions(user: User) -> tuple[str, str]:
    """(time zone, date format) for e-mails to ``user``: theirs, else their first
    organisation's, else (someone invited who has not joined yet) the inviting one's."""
    link = (
        Membership.objects.filter(user=user).select_related("organisation").order_by("pk").first()
        or Invitation.objects.filter(user=user)
        .select_related("organisation")
        .order_by("created_at", "pk")
        .first()
    )
    org = link.organisation if link else None
    zone = user.timezone or (org.timezone if org else settings.TIME_ZONE)
    return zone, (org.date_format if org else dates.DEFAULT_FORMAT)


class AccountEmailForm(PasswordResetForm):
    """Django's reset form, with our base URL and the recipient's time conventions.

    It also answers people who never chose a password (added on *People* or by an organisation
    import, whose invitation may be lost): Django's form skips them, which left them no way in.
    Twofold signs in by password only, so an account without one has no other way to lose.
    """

    def get_users(self, email: str) -> Any:
        return User.objects.filter(email=email.strip().lower(), is_active=True)

    def save(self, *args: Any, **kwargs: Any) -> None:
        base = urlsplit(settings.TWOFOLD_BASE_URL)
        kwargs["domain_override"] = base.netloc
        kwargs["use_https"] = base.scheme == "https"
        super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        zone_name, date_format = recipient_conventions(user)
        previous = dates.active_format()
        dates.activate_format(date_format)
        try:
            with timezone.override(dates.zone_or_none(zone_name) or settings.TIME_ZONE):
                context = {**context, "sent_at": timezone.now(), "zone_name": zone_name}
                # As Django's form builds it, handed to the outbox (accounts.mail) instead of
                # sent during the request.
                subject = "".join(
                    loader.render_to_string(subject_template_name, context).splitlines()
                )
                body = loader.render_to_string(email_template_name, context)
                message = EmailMultiAlternatives(subject, body, from_email, [to_email])
                if html_email_template_name is not None:
                    html = loader.render_to_string(html_email_template_name, context)
                    message.attach_alternative(html, "text/html")
                mail.deliver(message, user)
        finally:
            dates.activate_format(previous)


class SignUpEmailForm(AccountEmailForm):
    """The e-mail that confirms a sign-up: to an account nobody has confirmed yet (inactive,
    never signed in), whose link (Django's token: single use, as a password reset's)
    activates it."""

    def get_users(self, email: str) -> Any:
        return User.objects.filter(
            email=email.strip().lower(), is_active=False, last_login__isnull=True
        )
