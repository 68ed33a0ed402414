"""The notifications part of ``twofold worker``: send the outbox, run the scans, send digests.

``Passes.tick()`` is called on every poll of the worker loop (about once a second) and runs each
part at its own pace: the outbox every tick (one indexed query when nothing is due), the event
scans (assignments, finished jobs) every :data:`EVENT_EVERY_S`, the time scans (SLA, due
dates, missed routines, gates, handovers, KPI signals) and the daily digests every
:data:`TIME_EVERY_S`. Every part is safe to run in several workers at once.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from twofold.accounts.emails import recipient_conventions
from twofold.accounts.models import Membership, User
from twofold.notifications import emails, outbox, scans
from twofold.notifications.models import DigestRun, Notification
from twofold.notifications.services import _insert_once, stopped_among

EVENT_EVERY_S = 5.0
TIME_EVERY_S = 60.0
DIGEST_HOUR = 7
"""Daily digests go out from this hour on, in each person's time zone."""
DIGEST_MAX = 200


def send_digests(now: dt.datetime | None = None) -> int:
    """Each person with notifications waiting for the digest gets one e-mail a day from each
    organisation they have news from; returns how many e-mails were queued. A ``DigestRun`` row
    per (person, local day) makes it idempotent. One e-mail per organisation, labelled with it:
    the outbox checks each e-mail's organisation before sending it, so a person who has left
    one organisation since gets the other's news, and none of the one they left. Left out:
    people who stopped all notification e-mails, notifications withdrawn (a deleted comment) or
    whose object was deleted since; when it is sent, the outbox renders the digest again and
    leaves out what was withdrawn or deleted in between (``emails.refresh``)."""
    moment = now or timezone.now()
    user_ids = list(
        Notification.objects.filter(digest_pending=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    stopped = stopped_among(user_ids)
    if stopped:
        Notification.objects.filter(recipient_id__in=stopped, digest_pending=True).update(
            digest_pending=False
        )
    queued = 0
    for user in User.objects.filter(pk__in=set(user_ids) - stopped, is_active=True):
        zone_name, _format = recipient_conventions(user)
        local = moment.astimezone(scans._zone(zone_name))
        if local.hour < DIGEST_HOUR:
            continue
        with transaction.atomic():
            if not _insert_once(DigestRun(user=user, day=local.date())):
                continue  # today's digest went out already (or another worker sends it)
            # Only from organisations they are still in (one they left may not tell them more).
            still_in = Membership.objects.filter(user=user).values("organisation_id")
            pending = list(
                Notification.objects.filter(recipient=user, digest_pending=True)
                .filter(organisation_id__in=still_in)
                .select_related("actor", "organisation")
                .order_by("-created_at", "-id")[:DIGEST_MAX]
            )
            Notification.objects.filter(recipient=user, digest_pending=True).exclude(
                organisation_id__in=still_in
            ).update(digest_pending=False)
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(digest_pending=False)
            alive = emails.still_to_tell([n.pk for n in pending if n.read_at is None])
            by_organisation: dict[int, list[Notification]] = {}
            for note in pending:
                if note.pk in alive:
                    by_organisation.setdefault(note.organisation_id, []).append(note)
            if not user.email:
                continue
            for notes in by_organisation.values():  # newest first, as the notes came
                emails.digest_email(user, notes, local.date()).save()
                queued += 1
    return queued


class Passes:
    """Runs each part of the notifications work at its own pace (see the module docstring)."""

    def __init__(self, worker: str, log: Callable[[str], None] | None = None) -> None:
        self.worker = worker
        self.log = log or (lambda _line: None)
        self.next_events = -math.inf
        self.next_time = -math.inf

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_events:
            made = scans.run(scans.EVENT_SCANS)
            self.next_events = now + EVENT_EVERY_S
            if made:
                self.log(f"worker: {made} notification{'s' if made != 1 else ''} (events)")
        if now >= self.next_time:
            made = scans.run(scans.TIME_SCANS)
            digests = send_digests()
            self.next_time = now + TIME_EVERY_S
            if made or digests:
                self.log(f"worker: {made} notifications (due dates, SLAs, ...), {digests} digests")
        sent, failed = outbox.send_pending(self.worker)
        if sent or failed:
            self.log(f"worker: {sent} e-mail{'s' if sent != 1 else ''} sent, {failed} failed")
