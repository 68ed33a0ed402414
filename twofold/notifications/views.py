"""Notification pages: the inbox, the bell, e-mail settings, unsubscribe, follow, the outbox.

Views are thin: they parse input and call the same services and selectors as the API.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from twofold.accounts.models import Membership, User
from twofold.core.errors import NotFound, ServiceError
from twofold.core.middleware import SESSION_ORG_KEY
from twofold.core.policy import Action, can
from twofold.core.web import (
    actor_of,
    forbidden_page,
    organisation_of,
    organisation_required,
    same_site_path,
)
from twofold.notifications import outbox as outbox_sending
from twofold.notifications import selectors, services
from twofold.notifications.kinds import all_kinds
from twofold.notifications.models import Delivery, OutboxEmail
from twofold.notifications.tokens import ALL_KINDS, BadToken, read_unsubscribe_token


def _back(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    return same_site_path(request, nxt) or fallback


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    unread_only = request.GET.get("show") == "unread"
    kinds = {k.key: k.label for k in all_kinds()}
    kind = request.GET.get("kind", "")
    if kind not in kinds:
        kind = ""
    page = selectors.inbox(
        int(user.pk), unread_only=unread_only, kind=kind, before=request.GET.get("before", "")
    )
    several_orgs = Membership.objects.filter(user_id=user.pk).count() > 1
    context = {
        "page": page,
        "unread_only": unread_only,
        "kind": kind,
        "kinds": kinds,
        "several_orgs": several_orgs,
        "bell_count": selectors.bell_text(page.unread),
        "section": "",
    }
    return render(request, "notifications/pages/inbox.html", context)


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The header's bell alone (htmx refreshes it)."""
    count = selectors.unread_count(int(actor_of(request).pk))
    return render(
        request,
        "notifications/partials/bell.html",
        {"bell_count": selectors.bell_text(count), "bell_unread": count},
    )


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=actor_of(request))
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect(_back(request, reverse("notifications:inbox")))


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = actor_of(request)
    want = request.POST.get("read", "1") != "0"
    try:
        note = services.mark_read(user=user, notification_id=notification_id, read=want)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if getattr(request, "htmx", False):
        unread = selectors.unread_count(int(user.pk))
        return render(
            request,
            "notifications/partials/row.html",
            {
                "note": note,
                "oob_bell": True,
                "bell_unread": unread,
                "bell_count": selectors.bell_text(unread),
            },
        )
    return redirect(_back(request, reverse("notifications:inbox")))


def _from_this_site(request: HttpRequest) -> bool:
    """Whether the request comes from one of our own pages (the browser's ``Sec-Fetch-Site``,
    else a ``Referer`` on this host): a link on another site must not change anything."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("Referer", "")
    return bool(referer) and url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_target(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go to its object (in its organisation).

    A GET from another site (a link anywhere on the web) changes nothing: it marked the
    notification read and switched the session's organisation. It gets a page with a button
    (a POST, CSRF-checked) instead."""
    user = actor_of(request)
    if request.method == "GET" and not _from_this_site(request):
        note_here = (
            selectors.of_recipient(user.pk)
            .filter(pk=notification_id)
            .select_related("organisation")
            .first()
        )
        if note_here is None:
            raise Http404("Notification not found.")
        return render(request, "notifications/pages/open.html", {"note": note_here})
    try:
        note = services.mark_read(user=user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if (
        note.organisation_id != request.session.get(SESSION_ORG_KEY)
        and Membership.objects.filter(
            user_id=user.pk, organisation_id=note.organisation_id
        ).exists()
    ):
        request.session[SESSION_ORG_KEY] = note.organisation_id
    target = note.url if note.url.startswith("/") and not note.url.startswith("//") else ""
    return redirect(target or reverse("notifications:inbox"))


EVERY_EMAIL = {"send": False, "stop": True}
"""The settings page's master switch (``all``): its values, and whether each stops all e-mail."""


@login_required
def email_settings(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    kinds = all_kinds()
    status = 200
    if request.method == "POST":
        master = request.POST.get("all")
        if master is not None and master not in EVERY_EMAIL:
            messages.error(request, "Notification e-mail: choose to send or to stop them all.")
            status = 422
        for kind in kinds:
            value = request.POST.get(f"kind-{kind.key}")
            if value is None:
                continue
            try:
                services.set_email_delivery(user=user, kind=kind.key, delivery=value)
            except ServiceError as exc:
                messages.error(request, f"{kind.label}: {exc.message}")
                status = 422
        if master in EVERY_EMAIL:
            services.stop_all_email(user=user, stop=EVERY_EMAIL[master])
        if status == 200:
            messages.success(request, "Your e-mail settings are saved.")
            return redirect("notifications:settings")
    current = services.email_deliveries_for(int(user.pk), [k.key for k in kinds])
    rows = [(k, current[k.key]) for k in kinds]
    return render(
        request,
        "notifications/pages/settings.html",
        {
            "rows": rows,
            "choices": Delivery.choices,
            "stopped": services.email_stopped(int(user.pk)),
            "section": "settings",
        },
        status=status,
    )


@csrf_exempt  # RFC 8058 one-click unsubscribe: the mail client POSTs without our cookie
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """No sign-in: the signed token names the person and the kind (forged → 400)."""
    try:
        user_id, kind = read_unsubscribe_token(token)
        user = User.objects.get(pk=user_id)
    except (BadToken, User.DoesNotExist):
        return render(request, "notifications/pages/unsubscribe_invalid.html", status=400)
    labels = {k.key: k.label for k in all_kinds()}
    if kind != ALL_KINDS and kind not in labels:
        return render(request, "notifications/pages/unsubscribe_invalid.html", status=400)
    done = False
    if request.method == "POST":
        if kind == ALL_KINDS:
            # The master switch: kinds added later stay silent too, and the per-kind choices
            # are kept for when the person turns e-mails back on.
            services.stop_all_email(user=user, stop=True)
        else:
            services.set_email_delivery(user=user, kind=kind, delivery=Delivery.OFF)
        done = True
    elif request.method != "GET":
        return HttpResponse(status=405)
    what = "all notification e-mails" if kind == ALL_KINDS else f"e-mails about “{labels[kind]}”"
    return render(
        request,
        "notifications/pages/unsubscribe.html",
        {"what": what, "done": done, "email": user.email, "token": token},
    )


def _current_page(request: HttpRequest) -> str:
    """The page htmx was on (path and query), else the inbox."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if not parts.path:
        return reverse("notifications:inbox")
    return parts.path + (f"?{parts.query}" if parts.query else "")


@login_required
@require_http_methods(["GET", "POST"])
def follow_toggle(request: HttpRequest, target_type: str, target_id: int) -> HttpResponse:
    """POST follows or unfollows; GET (htmx, after the page) draws the button as it stands, so
    the pages showing it spend no query on it."""
    user = actor_of(request)
    try:
        target = selectors.resolve_target(user, target_type, target_id)
        if request.method == "POST" and request.POST.get("follow", "1") == "0":
            services.unfollow(user, target)
        elif request.method == "POST":
            services.follow(user, target)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if getattr(request, "htmx", False) or request.method == "GET":
        return render(
            request,
            "notifications/partials/follow_button.html",
            {
                "following": services.is_following(user, target),
                "target_type": target_type,
                "target_id": target_id,
                # Back to the page showing the button (its query too), not to this address.
                "next": _current_page(request),
            },
        )
    return redirect(_back(request, reverse("notifications:inbox")))


@organisation_required
def outbox(request: HttpRequest) -> HttpResponse:
    """Admins: e-mails not sent yet, with the mail server's last error."""
    org = organisation_of(request)
    if not can(request.user, Action.MANAGE, org):
        return forbidden_page(request, "Only admins see the e-mail outbox.")
    if request.method != "GET":
        return HttpResponse(status=405)
    return render(
        request,
        "notifications/pages/outbox.html",
        {
            "mails": selectors.outbox(int(org.pk)),
            "counts": selectors.outbox_counts(int(org.pk)),
            "section": "settings",
        },
    )


@organisation_required
@require_POST
def outbox_retry(request: HttpRequest, email_id: int) -> HttpResponse:
    org = organisation_of(request)
    if not can(request.user, Action.MANAGE, org):  # before the lookup: no hint what exists
        return forbidden_page(request, "Only admins can send an e-mail again.")
    mail = OutboxEmail.objects.filter(pk=email_id, organisation_id=org.pk).first()
    if mail is None:
        raise Http404("Not found.")
    outbox_sending.retry(mail)
    messages.success(request, f"The e-mail to {mail.to} goes out at the worker's next pass.")
    return redirect("notifications:outbox")
