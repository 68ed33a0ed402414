"""Review of 2026-12-06: the htmx panel's CSRF token, control characters and lone surrogates in
comments, a deleted comment's text in notifications, and the edit page's version check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from twofold.comments import selectors, services
from twofold.comments.models import Comment
from twofold.core.errors import Conflict, Invalid
from twofold.notifications import kinds, outbox
from twofold.notifications import services as notes
from twofold.notifications.models import Delivery, Notification, OutboxEmail, OutboxStatus

pytestmark = pytest.mark.django_db


# --- 1. The panel htmx swaps in after a post carries the CSRF token ----------------------------


def _csrf_client(user: Any, task: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(f"/projects/{task.project_id}/tasks/{task.pk}/")
    return client, client.cookies["csrftoken"].value


def test_delete_from_the_panel_swapped_in_after_an_htmx_post_is_not_refused(
    owner: Any, task: Any
) -> None:
    """The view rendered the panel with ``csrf_token: None`` over the context processor's
    token: the swapped-in forms had no token and Delete answered 403 (until 2026-12-06)."""
    client, token = _csrf_client(owner, task)
    r = client.post(
        f"/comments/task/{task.pk}/",
        {"body": "first"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert r.status_code == 200
    html = r.content.decode()
    comment = Comment.objects.get()
    form = re.search(
        rf'<form method="post" action="/comments/{comment.pk}/delete/".*?</form>', html, re.S
    )
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    assert set(fields) == {"csrfmiddlewaretoken", "version"}
    assert fields["csrfmiddlewaretoken"]
    # The comment form in the same panel (a second comment without a reload) has one too.
    add = re.search(
        rf'<form method="post" action="/comments/task/{task.pk}/".*?</form>', html, re.S
    )
    assert add is not None and 'name="csrfmiddlewaretoken" value="' in add.group(0)

    r = client.post(f"/comments/{comment.pk}/delete/", fields)  # what the browser sends
    assert r.status_code == 302
    assert r["Location"] == f"/projects/{task.project_id}/tasks/{task.pk}/#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.is_deleted


def test_the_refused_htmx_panel_carries_the_token_too(owner: Any, task: Any) -> None:
    client, token = _csrf_client(owner, task)
    r = client.post(
        f"/comments/task/{task.pk}/", {"body": "  "}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "Write a comment." in html
    assert 'name="csrfmiddlewaretoken" value="' in html


# --- 3. Control characters (XML 1.0 forbids them: the Atom feed broke) -------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x01", "\x1b", "\ufffe", "\uffff"])
def test_a_comment_with_a_control_character_is_refused_naming_body(
    owner: Any, task: Any, char: str
) -> None:
    with pytest.raises(Invalid) as refused:
        services.add_comment(actor=owner, target=task, body=f"odd {char} char")
    assert refused.value.field == "body"
    assert refused.value.message == (
        f"A comment may not contain control characters (this one has U+{ord(char):04X}, an "
        "invisible one: retype the line it is on, or paste as plain text)."
    )
    assert not Comment.objects.exists()


def test_tabs_and_line_breaks_stay_allowed(owner: Any, task: Any) -> None:
    comment = services.add_comment(actor=owner, target=task, body="a\tb\r\nc\nd")
    assert comment.body == "a\tb\r\nc\nd"


def test_the_api_and_the_page_refuse_a_control_character_alike(
    api: Any, org: Any, owner: Any, task: Any, signed_in: Any
) -> None:
    r = api(owner).post(f"/api/organisations/{org.pk}/comments/task/{task.pk}", {"body": "a\x0bb"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": "A comment may not contain control characters (this one has U+000B, an "
        "invisible one: retype the line it is on, or paste as plain text).",
        "field": "body",
    }
    client = signed_in(owner)
    r = client.post(f"/comments/task/{task.pk}/", {"body": "a\x0bb"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    assert "may not contain control characters (this one has U+000B" in r.content.decode()
    assert not Comment.objects.exists()


def test_an_edit_cannot_bring_a_control_character_in(owner: Any, task: Any) -> None:
    comment = services.add_comment(actor=owner, target=task, body="fine")
    with pytest.raises(Invalid) as refused:
        services.edit_comment(
            actor=owner, comment=comment, target=task, body="x\x07y", expected_version=1
        )
    assert refused.value.field == "body"
    comment.refresh_from_db()
    assert comment.body == "fine" and comment.version == 1


# --- 4. A lone surrogate: 422 on the API, replaced (never stored) from a page form -------------


def test_a_lone_surrogate_in_the_api_body_is_refused_naming_body(
    client: Any, org: Any, owner: Any, task: Any, api_token: Any
) -> None:
    """``"\\ud800"`` is valid JSON but no UTF-8: the insert raised UnicodeEncodeError (500)."""
    r = client.post(
        f"/api/organisations/{org.pk}/comments/task/{task.pk}",
        data=b'{"body": "hi \\ud800 there"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": "body: Text may not contain a lone surrogate (\\ud800-\\udfff): it is not Unicode.",
        "field": "body",
    }
    assert not Comment.objects.exists()


def test_a_surrogate_sent_from_a_page_form_arrives_replaced(
    signed_in: Any, owner: Any, task: Any
) -> None:
    """A form body is decoded as UTF-8 with undecodable bytes replaced: the encoded surrogate
    (``%ED%A0%80``) becomes U+FFFD and the comment is stored (no 500)."""
    client = signed_in(owner)
    r = client.post(
        f"/comments/task/{task.pk}/",
        "body=hi+%ED%A0%80+there",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 302
    stored = Comment.objects.get().body
    assert stored == "hi \ufffd\ufffd\ufffd there"
    stored.encode("utf-8")


# --- 6. A deleted comment's text leaves the notifications that quoted it -----------------------


def test_deleting_a_comment_takes_its_text_out_of_the_inboxes_and_the_outbox(
    api: Any, org: Any, owner: Any, priya: Any, admin: Any, task: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notes.follow(priya, task)
    notes.set_email_delivery(user=admin, kind=kinds.MENTIONED, delivery=Delivery.DIGEST)
    earlier = services.add_comment(actor=owner, target=task, body="an earlier word")
    assert outbox.send_pending("w1") == (1, 0)  # priya's e-mail of the earlier comment, sent
    comment = services.add_comment(
        actor=owner, target=task, body="@Ada Admin the supplier price is 41,000"
    )
    assert sorted(
        Notification.objects.filter(summary__contains="41,000").values_list(
            "recipient_id", "event_key"
        )
    ) == sorted([(priya.pk, f"comment-{comment.pk}"), (admin.pk, f"comment-{comment.pk}-mention")])
    assert OutboxEmail.objects.filter(subject__contains="41,000").count() == 1  # priya's, queued
    # Given up on (an admin could queue it again): it must go as a queued one does.
    failed = OutboxEmail.objects.get(subject__contains="41,000")
    OutboxEmail.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED)

    fresh, target = selectors.get_comment(owner, org, comment.pk)
    services.delete_comment(actor=owner, comment=fresh, target=target, expected_version=1)

    owner_name = owner.display_name
    assert dict(
        Notification.objects.filter(event_key__startswith=f"comment-{comment.pk}").values_list(
            "recipient_id", "summary"
        )
    ) == {
        priya.pk: f"{owner_name} commented on the task {task} (comment deleted)",
        admin.pk: f"{owner_name} mentioned you on the task {task} (comment deleted)",
    }
    assert not Notification.objects.filter(summary__contains="41,000").exists()
    assert not OutboxEmail.objects.filter(subject__contains="41,000").exists()
    assert not OutboxEmail.objects.filter(body_text__contains="41,000").exists()
    assert not OutboxEmail.objects.filter(pk=failed.pk).exists()
    # The earlier comment's notification and its sent e-mail are untouched.
    assert Notification.objects.get(event_key=f"comment-{earlier.pk}").summary.endswith(
        ": an earlier word"
    )
    assert OutboxEmail.objects.get(status=OutboxStatus.SENT).subject.endswith(": an earlier word")
    # The inbox (API) and the digest that waits for the admin say so too.
    items = api(priya).get("/api/me/notifications").json()["items"]
    assert items[0]["summary"].endswith("(comment deleted)")
    assert Notification.objects.get(recipient=admin).digest_pending


def test_a_sent_e_mail_of_a_deleted_comment_keeps_no_text(
    org: Any, owner: Any, priya: Any, task: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notes.follow(priya, task)
    comment = services.add_comment(actor=owner, target=task, body="secret 41,000")
    assert outbox.send_pending("w1") == (1, 0)
    fresh, target = selectors.get_comment(owner, org, comment.pk)
    services.delete_comment(actor=owner, comment=fresh, target=target)
    sent = OutboxEmail.objects.get()
    assert sent.status == OutboxStatus.SENT
    assert sent.subject == f"{owner.display_name} commented on the task {task} (comment deleted)"
    assert (sent.body_text, sent.body_html) == ("", "")


def test_a_refused_delete_leaves_the_notifications_as_they_were(
    org: Any, owner: Any, priya: Any, task: Any
) -> None:
    notes.follow(priya, task)
    comment = services.add_comment(actor=owner, target=task, body="still here 41,000")
    fresh, target = selectors.get_comment(owner, org, comment.pk)
    with pytest.raises(Conflict):  # a stale version: nothing written
        services.delete_comment(actor=owner, comment=fresh, target=target, expected_version=7)
    assert Notification.objects.get(recipient=priya).summary.endswith(": still here 41,000")
    assert OutboxEmail.objects.filter(subject__contains="41,000").count() == 1


# --- Edit: the version is required (a crafted post without one skipped the 409) ---------------


@pytest.mark.parametrize("posted", [{}, {"version": ""}, {"version": "abc"}, {"version": "0"}])
def test_an_edit_without_a_usable_version_is_a_conflict(
    signed_in: Any, owner: Any, task: Any, posted: dict[str, str]
) -> None:
    comment = services.add_comment(actor=owner, target=task, body="hello")
    client = signed_in(owner)
    r = client.post(f"/comments/{comment.pk}/edit/", {"body": "changed", **posted})
    assert r.status_code == 409
    assert "Someone else changed this since you opened it." in r.content.decode()
    comment.refresh_from_db()
    assert (comment.body, comment.version) == ("hello", 1)


def test_an_edit_with_the_version_it_was_opened_at_is_saved(
    signed_in: Any, owner: Any, task: Any
) -> None:
    comment = services.add_comment(actor=owner, target=task, body="hello")
    client = signed_in(owner)
    page = client.get(f"/comments/{comment.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in page
    r = client.post(f"/comments/{comment.pk}/edit/", {"body": "changed", "version": "1"})
    assert r.status_code == 302
    comment.refresh_from_db()
    assert (comment.body, comment.version) == ("changed", 2)
    r = client.post(f"/comments/{comment.pk}/edit/", {"body": "again", "version": "1"})
    assert r.status_code == 409
    comment.refresh_from_db()
    assert comment.body == "changed"
