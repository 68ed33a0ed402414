"""API for notifications (same services and selectors as the pages).

``/me/notifications``: the signed-in person's inbox; ``/me/notification-settings`` and
``/me/notification-email`` (stop all e-mails): how they get e-mail; ``/follows/{type}/{id}``: following any
object (``type`` is ``app_label.model``, e.g. ``projects.task``); ``/organisations/{id}/outbox``:
admins see e-mails not sent yet and queue them again.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import StrictBool

from twofold.accounts.selectors import get_organisation
from twofold.core.api_schemas import READ, WRITE, BodyIn
from twofold.core.errors import Forbidden, Invalid, NotFound
from twofold.core.policy import Action, can
from twofold.core.web import actor_of
from twofold.notifications import outbox as outbox_sending
from twofold.notifications import selectors, services
from twofold.notifications.kinds import all_kinds
from twofold.notifications.models import Notification, OutboxEmail

router = Router(tags=["notifications"])

DeliveryName = Literal["immediate", "digest", "off"]


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    summary: str
    url: str
    actor_id: int | None
    organisation_id: int
    target_type: str | None
    target_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    unread: int
    next: str = Field(description="Pass as ``before`` for the next (older) page; empty at the end.")


class NotificationUnreadOut(Schema):
    unread: int = Field(description="Unread notifications, counted up to 100.")


class NotificationReadIn(BodyIn):
    read: StrictBool = True


class NotificationMarkedOut(Schema):
    marked: int


class NotificationFilters(Schema):
    unread: bool = False
    kind: str = ""
    before: str = ""
    limit: int = Field(50, ge=1, le=200)


class NotificationSettingOut(Schema):
    kind: str
    label: str
    delivery: DeliveryName


class NotificationSettingIn(BodyIn):
    delivery: DeliveryName


class NotificationEmailOut(Schema):
    stop_all: bool = Field(
        description="All notification e-mails stopped (every kind, those added later too); the "
        "per-kind choices of /me/notification-settings are kept and apply again once false."
    )


class NotificationEmailIn(BodyIn):
    stop_all: StrictBool


class FollowOut(Schema):
    target_type: str
    target_id: int
    following: bool
    followers: int


class FollowIn(BodyIn):
    following: StrictBool = True


class OutboxEmailOut(Schema):
    id: int
    to: str
    subject: str
    status: Literal["queued", "sending", "sent", "failed"]
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime
    created_at: dt.datetime


def _out(note: Notification) -> NotificationOut:
    target_type = None
    if note.target_type_id:
        ct = note.target_type
        target_type = f"{ct.app_label}.{ct.model}" if ct else None
    return NotificationOut(
        id=note.pk,
        kind=note.kind,
        kind_label=note.kind_label,
        summary=note.summary,
        url=note.url,
        actor_id=note.actor_id,
        organisation_id=note.organisation_id,
        target_type=target_type,
        target_id=note.target_id,
        created_at=note.created_at,
        read_at=note.read_at,
    )


@router.get("/me/notifications", response={200: NotificationPageOut, **READ, 422: WRITE[422]})
def list_notifications(
    request: HttpRequest, filters: Query[NotificationFilters]
) -> NotificationPageOut:
    """Newest first; ``before`` pages to older ones (keyset: each page costs the same)."""
    user = actor_of(request)
    if filters.kind and filters.kind not in {k.key for k in all_kinds()}:
        # An unknown kind answered 200 with an empty inbox: a typo read as "nothing new".
        known = ", ".join(k.key for k in all_kinds())
        raise Invalid(
            f"There is no kind of notification {filters.kind[:40]!r}: use one of {known}.",
            field="kind",
        )
    page = selectors.inbox(
        int(user.pk),
        unread_only=filters.unread,
        kind=filters.kind,
        before=filters.before,
        limit=filters.limit,
    )
    return NotificationPageOut(
        items=[_out(n) for n in page.items], unread=page.unread, next=page.next_cursor
    )


@router.get("/me/notifications/unread-count", response={200: NotificationUnreadOut, **READ})
def unread_count(request: HttpRequest) -> NotificationUnreadOut:
    return NotificationUnreadOut(unread=selectors.unread_count(int(actor_of(request).pk)))


@router.post("/me/notifications/{notification_id}/read", response={200: NotificationOut, **WRITE})
def mark_read(
    request: HttpRequest, notification_id: int, payload: NotificationReadIn
) -> NotificationOut:
    """Mark it read (``read: false``: unread again)."""
    note = services.mark_read(
        user=actor_of(request), notification_id=notification_id, read=payload.read
    )
    return _out(Notification.objects.select_related("target_type").get(pk=note.pk))


@router.post("/me/notifications/read-all", response={200: NotificationMarkedOut, **WRITE})
def mark_all_read(request: HttpRequest) -> NotificationMarkedOut:
    return NotificationMarkedOut(marked=services.mark_all_read(user=actor_of(request)))


@router.get("/me/notification-settings", response={200: list[NotificationSettingOut], **READ})
def list_settings(request: HttpRequest) -> list[NotificationSettingOut]:
    """How each kind of notification reaches you by e-mail."""
    kinds = all_kinds()
    current = services.email_deliveries_for(int(actor_of(request).pk), [k.key for k in kinds])
    return [
        NotificationSettingOut(kind=k.key, label=k.label, delivery=current[k.key])  # type: ignore[arg-type]
        for k in kinds
    ]


@router.put("/me/notification-settings/{kind}", response={200: NotificationSettingOut, **WRITE})
def set_setting(
    request: HttpRequest, kind: str, payload: NotificationSettingIn
) -> NotificationSettingOut:
    pref = services.set_email_delivery(user=actor_of(request), kind=kind, delivery=payload.delivery)
    label = next(k.label for k in all_kinds() if k.key == kind)
    return NotificationSettingOut(kind=kind, label=label, delivery=pref.delivery)  # type: ignore[arg-type]


@router.get("/me/notification-email", response={200: NotificationEmailOut, **READ})
def get_email_master(request: HttpRequest) -> NotificationEmailOut:
    """Whether you stopped all notification e-mails (the settings page's master switch)."""
    return NotificationEmailOut(stop_all=services.email_stopped(int(actor_of(request).pk)))


@router.put("/me/notification-email", response={200: NotificationEmailOut, **WRITE})
def set_email_master(request: HttpRequest, payload: NotificationEmailIn) -> NotificationEmailOut:
    """Stop all notification e-mails (``stop_all: true``), or let the per-kind choices apply
    again (``false``)."""
    stopped = services.stop_all_email(user=actor_of(request), stop=payload.stop_all)
    return NotificationEmailOut(stop_all=stopped)


def _follow_out(request: HttpRequest, target_type: str, target_id: int) -> FollowOut:
    target = selectors.resolve_target(actor_of(request), target_type, target_id)
    return FollowOut(
        target_type=target_type,
        target_id=target_id,
        following=services.is_following(request.user, target),
        followers=len(services.followers(target)),
    )


@router.get("/follows/{target_type}/{target_id}", response={200: FollowOut, **READ})
def get_follow(request: HttpRequest, target_type: str, target_id: int) -> FollowOut:
    """Whether you follow the object, and how many people do."""
    return _follow_out(request, target_type, target_id)


@router.put("/follows/{target_type}/{target_id}", response={200: FollowOut, **WRITE})
def set_follow(
    request: HttpRequest, target_type: str, target_id: int, payload: FollowIn
) -> FollowOut:
    """Follow (``following: true``) or unfollow an object you can see (else 404)."""
    user = actor_of(request)
    target = selectors.resolve_target(user, target_type, target_id)
    if payload.following:
        services.follow(user, target)
    else:
        services.unfollow(user, target)
    return _follow_out(request, target_type, target_id)


@router.get(
    "/organisations/{org_id}/outbox", response={200: list[OutboxEmailOut], **READ, 403: READ[404]}
)
def list_outbox(request: HttpRequest, org_id: int) -> list[OutboxEmailOut]:
    """Admins: the organisation's e-mails not sent yet, newest first (at most 100)."""
    org = get_organisation(actor_of(request), org_id)
    if not can(request.user, Action.MANAGE, org):
        raise Forbidden("Only admins see the e-mail outbox.")
    return [
        OutboxEmailOut.model_validate(m, from_attributes=True) for m in selectors.outbox(org_id)
    ]


@router.post(
    "/organisations/{org_id}/outbox/{email_id}/retry", response={200: OutboxEmailOut, **WRITE}
)
def retry_outbox(request: HttpRequest, org_id: int, email_id: int) -> OutboxEmailOut:
    """Admins: send a queued or given-up e-mail at the worker's next pass."""
    org = get_organisation(actor_of(request), org_id)
    # The role first: a member got 403 for an e-mail that exists and 404 for one that does
    # not, and so learnt which ids the organisation's outbox holds.
    if not can(request.user, Action.MANAGE, org):
        raise Forbidden("Only admins can send an e-mail again.")
    mail = OutboxEmail.objects.filter(pk=email_id, organisation_id=org.pk).first()
    if mail is None:
        raise NotFound("Not found.")
    outbox_sending.retry(mail)
    mail.refresh_from_db()
    return OutboxEmailOut.model_validate(mail, from_attributes=True)
