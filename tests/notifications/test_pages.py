"""The inbox, the bell, e-mail settings, unsubscribe links, following, the admins' outbox."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.notifications import kinds, services
from twofold.notifications.models import Delivery, EmailPreference, Notification, OutboxEmail
from twofold.notifications.tokens import make_unsubscribe_token

pytestmark = pytest.mark.django_db


def _tell(owner: Any, person: Any, task: Any, n: int = 1) -> list[Notification]:
    return [
        services.notify(
            recipients=[person], kind=kinds.COMMENT, actor=owner, target=task, summary=f"Note {i}"
        )[0]
        for i in range(n)
    ]


def test_bell_counts_unread_with_one_count_query(
    signed_in: Any, owner: Any, mel: Any, task: Any, django_assert_max_num_queries: Any
) -> None:
    _tell(owner, mel, task, 3)
    client = signed_in(mel)
    with django_assert_max_num_queries(4):  # session, user, membership (middleware), COUNT
        response = client.get("/notifications/bell/")
    html = response.content.decode()
    assert 'aria-label="Notifications, 3 unread"' in html
    assert '<span class="bell-count" data-count="3">3</span>' in html


def test_every_page_has_the_bell_without_a_query(signed_in: Any, mel: Any) -> None:
    html = signed_in(mel).get("/notifications/settings/").content.decode()
    assert 'id="notification-bell"' in html and 'hx-trigger="load, every 60s"' in html


def test_inbox_lists_newest_first_and_marks_read(
    signed_in: Any, owner: Any, mel: Any, task: Any, django_assert_max_num_queries: Any
) -> None:
    notes = _tell(owner, mel, task, 30)
    client = signed_in(mel)
    with django_assert_max_num_queries(8):
        html = client.get("/notifications/").content.decode()
    assert html.index("Note 29") < html.index("Note 0")
    assert "30 unread" in html
    response = client.post(
        f"/notifications/{notes[0].pk}/read/", {"read": "1"}, HTTP_HX_REQUEST="true"
    )
    row = response.content.decode()
    assert "Mark unread" in row and 'hx-swap-oob="true"' in row
    assert '<span class="bell-count" data-count="29">29</span>' in row
    notes[0].refresh_from_db()
    assert notes[0].read_at is not None
    html = client.get("/notifications/?show=unread").content.decode()
    assert "Note 1<" in html and "Note 0<" not in html
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=mel, read_at__isnull=True).count() == 0


def test_inbox_pages_with_a_cursor(signed_in: Any, owner: Any, mel: Any, task: Any) -> None:
    _tell(owner, mel, task, 55)
    client = signed_in(mel)
    html = client.get("/notifications/").content.decode()
    assert "Note 5<" in html and "Note 4<" not in html
    cursor = html.split("?before=")[1].split('"')[0]
    older = client.get(f"/notifications/?before={cursor}").content.decode()
    assert "Note 4<" in older and "Note 5<" not in older
    assert client.get("/notifications/?before=junk").status_code == 200


def test_open_marks_read_and_goes_to_the_object(
    signed_in: Any, owner: Any, mel: Any, task: Any
) -> None:
    note = _tell(owner, mel, task)[0]
    client = signed_in(mel)
    # A link on another site changes nothing: a page with a button (it marked the notification
    # read and switched the session's organisation from anywhere on the web).
    cross = client.get(f"/notifications/{note.pk}/open/", HTTP_SEC_FETCH_SITE="cross-site")
    assert cross.status_code == 200 and "Open this notification?" in cross.content.decode()
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 200  # no header at all
    note.refresh_from_db()
    assert note.read_at is None
    response = client.get(f"/notifications/{note.pk}/open/", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{task.project_id}/tasks/{task.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    other = _tell(owner, mel, task)[0]
    assert client.post(f"/notifications/{other.pk}/open/").status_code == 302  # the button
    other.refresh_from_db()
    assert other.read_at is not None


def test_someone_elses_notification_is_404(signed_in: Any, owner: Any, mel: Any, task: Any) -> None:
    note = _tell(owner, mel, task)[0]
    client = signed_in(owner)
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_settings_page_saves_each_kind(signed_in: Any, mel: Any) -> None:
    client = signed_in(mel)
    response = client.post(
        "/notifications/settings/", {"kind-assigned": "digest", "kind-comment": "off"}
    )
    assert response.status_code == 302
    assert dict(EmailPreference.objects.filter(user=mel).values_list("kind", "delivery")) == {
        "assigned": "digest",
        "comment": "off",
    }
    bad = client.post("/notifications/settings/", {"kind-assigned": "hourly"})
    assert bad.status_code == 422


def test_unsubscribe_without_signing_in(client: Any, mel: Any) -> None:
    token = make_unsubscribe_token(mel.pk, kinds.ASSIGNED)
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200 and "Assigned to me" in page.content.decode()
    assert not EmailPreference.objects.exists()  # a GET (a mail scanner) changes nothing
    done = client.post(f"/notifications/unsubscribe/{token}/")
    assert done.status_code == 200 and "Unsubscribed" in done.content.decode()
    assert EmailPreference.objects.get(user=mel, kind="assigned").delivery == Delivery.OFF


def test_unsubscribe_all_kinds(client: Any, mel: Any) -> None:
    token = make_unsubscribe_token(mel.pk, "*")
    client.post(f"/notifications/unsubscribe/{token}/")
    # The master switch (kinds added later stay silent too); the per-kind choices are kept.
    assert list(EmailPreference.objects.filter(user=mel).values_list("kind", "delivery")) == [
        ("*", "off")
    ]


@pytest.mark.parametrize("tamper", ["swap-user", "garbage", "truncated"])
def test_forged_unsubscribe_token_is_refused(client: Any, mel: Any, gus: Any, tamper: str) -> None:
    token = make_unsubscribe_token(mel.pk, kinds.ASSIGNED)
    if tamper == "swap-user":
        genuine_other = make_unsubscribe_token(gus.pk, kinds.ASSIGNED)
        token = genuine_other.split(":")[0] + ":" + token.split(":", 1)[1]
    elif tamper == "garbage":
        token = "eyJ1IjoxLCJrIjoiKiJ9:forged:signature"
    else:
        token = token[:-4]
    response = client.post(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not EmailPreference.objects.exists()


def test_follow_button_toggles(signed_in: Any, mel: Any, task: Any) -> None:
    client = signed_in(mel)
    url = f"/notifications/follow/projects.task/{task.pk}/"
    html = client.post(url, {"follow": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Following ✓" in html and services.followers(task) == [mel.pk]
    html = client.post(url, {"follow": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert ">Follow<" in html and services.followers(task) == []


def test_follow_what_you_cannot_see_is_404(signed_in: Any, outsider: Any, task: Any) -> None:
    client = signed_in(outsider)
    assert client.post(f"/notifications/follow/projects.task/{task.pk}/").status_code == 404
    assert client.post("/notifications/follow/accounts.user/1/").status_code == 404
    assert client.post("/notifications/follow/nonsense/1/").status_code == 404
    assert services.followers(task) == []


def test_outbox_for_admins_only(signed_in: Any, owner: Any, mel: Any, task: Any) -> None:
    _tell(owner, mel, task)
    mail = OutboxEmail.objects.get()
    OutboxEmail.objects.filter(pk=mail.pk).update(
        status="failed", attempts=8, last_error="ConnectionRefusedError: [Errno 111]"
    )
    assert signed_in(mel).get("/notifications/outbox/").status_code == 403
    html = signed_in(owner).get("/notifications/outbox/").content.decode()
    assert "ConnectionRefusedError: [Errno 111]" in html and "mel@example.com" in html
    response = signed_in(owner).post(f"/notifications/outbox/{mail.pk}/retry/")
    assert response.status_code == 302
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("queued", 0)


def test_an_object_page_offers_follow_and_the_button_is_drawn_after_it(
    signed_in: Any, mel: Any, task: Any
) -> None:
    """No page showed the Follow button (the tag existed; no template used it)."""
    client = signed_in(mel)
    page = client.get(f"/projects/{task.project_id}/tasks/{task.pk}/").content.decode()
    url = f"/notifications/follow/projects.task/{task.pk}/"
    assert f'hx-get="{url}" hx-trigger="load"' in page
    drawn = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://x/t/{task.pk}/")
    html = drawn.content.decode()
    assert ">Follow<" in html and f'name="next" value="/t/{task.pk}/"' in html
    assert services.followers(task) == []  # drawing it follows nothing
    client.post(url, {"follow": "1"}, HTTP_HX_REQUEST="true")
    assert "Following ✓" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
