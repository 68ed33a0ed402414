"""Review of 2026-12-06: one daily digest per organisation (each checked against its own
organisation when sent), and the inbox API refuses a kind it does not know."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as sent_mail

from twofold.accounts.models import Membership, Role
from twofold.accounts.services import remove_member
from twofold.notifications import emails, kinds, outbox, services
from twofold.notifications.models import Delivery, Notification, OutboxEmail, OutboxStatus
from twofold.notifications.worker import send_digests
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2030, 1, 7, 12, 0, tzinfo=dt.UTC)  # past 07:00 in every zone's day


@pytest.fixture
def two_orgs(org: Any, owner: Any, member: Any, make_org: Any, task: Any, settings: Any) -> Any:
    """Mel is in Acme (``org``, a task) and Other Co (a project); one digest note from each,
    Other Co's the newest."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    other = make_org("Other Co")
    boss = member(other, Role.OWNER, full_name="Bo Boss")
    secret = project_services.create_project(
        actor=boss,
        organisation=other,
        name="Secret merger",
        code="SM",
        target_start=dt.date(2025, 3, 3),
    )
    mel = member(org, Role.MEMBER, full_name="Mel Member", email="mel@example.com")
    Membership.objects.create(organisation=other, user=mel, role=Role.MEMBER)
    services.set_email_delivery(user=mel, kind=kinds.ASSIGNED, delivery=Delivery.DIGEST)
    services.notify(
        recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary="Weld the frame"
    )
    services.notify(
        recipients=[mel], kind=kinds.ASSIGNED, actor=boss, target=secret, summary="Merger memo"
    )
    return other, boss, mel


def test_a_digest_is_one_e_mail_per_organisation(org: Any, two_orgs: Any) -> None:
    other, _boss, mel = two_orgs
    assert send_digests(MORNING) == 2
    mails = {m.organisation_id: m for m in OutboxEmail.objects.all()}
    assert set(mails) == {org.pk, other.pk}
    acme, other_co = mails[org.pk], mails[other.pk]
    assert acme.to == other_co.to == mel.email
    assert acme.subject == f"Twofold · {org.name}: 1 notification for 07 Jan 2030"
    assert other_co.subject == "Twofold · Other Co: 1 notification for 07 Jan 2030"
    assert "Weld the frame" in acme.body_text and "Merger memo" not in acme.body_text
    assert "Merger memo" in other_co.body_text and "Weld the frame" not in other_co.body_text
    assert "Your daily digest from Other Co: 1 notification." in other_co.body_text
    assert "Your daily digest from Other Co: 1 notification.</p>" in other_co.body_html
    assert not Notification.objects.filter(digest_pending=True).exists()
    assert send_digests(MORNING) == 0  # once a day, both


def test_leaving_an_organisation_stops_its_digest_and_only_its_digest(
    org: Any, two_orgs: Any
) -> None:
    """The digest was labelled with the newest note's organisation: after leaving Other Co (the
    label) nothing went, Acme's news was lost too; after leaving Acme, both went, Acme's too."""
    other, boss, mel = two_orgs
    assert send_digests(MORNING) == 2
    remove_member(actor=boss, membership=Membership.objects.get(organisation=other, user=mel))
    assert outbox.send_pending("w1") == (1, 1)
    assert [m.to for m in sent_mail.outbox] == [[mel.email]]
    assert "Weld the frame" in sent_mail.outbox[0].body
    assert not any("Merger" in m.body or "Merger" in m.subject for m in sent_mail.outbox)
    gave_up = OutboxEmail.objects.get(organisation=other)
    assert gave_up.status == OutboxStatus.FAILED
    assert (
        gave_up.last_error == "Not sent: the recipient is no longer a member of the organisation."
    )
    assert OutboxEmail.objects.get(organisation=org).status == OutboxStatus.SENT


def test_leaving_the_other_organisation_keeps_the_first_ones_digest(
    org: Any, owner: Any, two_orgs: Any
) -> None:
    _other, _boss, mel = two_orgs
    assert send_digests(MORNING) == 2
    remove_member(actor=owner, membership=Membership.objects.get(organisation=org, user=mel))
    assert outbox.send_pending("w1") == (1, 1)
    assert len(sent_mail.outbox) == 1
    assert "Merger memo" in sent_mail.outbox[0].body
    assert "Weld" not in sent_mail.outbox[0].body


def test_a_digest_of_two_organisations_cannot_be_built(org: Any, two_orgs: Any) -> None:
    _other, _boss, mel = two_orgs
    notes = list(Notification.objects.filter(recipient=mel).select_related("organisation"))
    with pytest.raises(ValueError, match="one organisation"):
        emails.digest_email(mel, notes, MORNING.date())
    with pytest.raises(ValueError, match="at least one"):
        emails.digest_email(mel, [], MORNING.date())


@pytest.mark.parametrize("kind", ["assign", "ASSIGNED", "x" * 300])
def test_the_inbox_api_refuses_an_unknown_kind_naming_it(
    owner: Any, mel: Any, task: Any, api: Any, kind: str
) -> None:
    """It answered 200 with an empty inbox: a typo read as "nothing new"."""
    services.notify(recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary="x")
    r = api(mel).get(f"/api/me/notifications?kind={kind}")
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "kind"
    assert body["detail"].startswith(
        f"There is no kind of notification {kind[:40]!r}: use one of assigned, mentioned,"
    )


@pytest.mark.parametrize(("kind", "count"), [("", 1), ("assigned", 1), ("comment", 0)])
def test_the_inbox_api_keeps_every_known_kind_and_no_kind(
    owner: Any, mel: Any, task: Any, api: Any, kind: str, count: int
) -> None:
    services.notify(recipients=[mel], kind=kinds.ASSIGNED, actor=owner, target=task, summary="x")
    r = api(mel).get(f"/api/me/notifications?kind={kind}")
    assert r.status_code == 200
    assert len(r.json()["items"]) == count


def test_the_inbox_page_still_ignores_an_unknown_kind(mel: Any, signed_in: Any) -> None:
    r = signed_in(mel).get("/notifications/?kind=assign")
    assert r.status_code == 200
    assert r.context["kind"] == ""
