"""The comment component: mentions (members only), sanitising, limits, the edit window, soft
delete, roles, pages and API, with constant queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from twofold.comments import selectors, services
from twofold.comments.models import Comment, Mention
from twofold.core.errors import Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_a_mention_of_a_member_is_stored_and_linked(owner: Any, task: Any, priya: Any) -> None:
    comment = services.add_comment(
        actor=owner, target=task, body="@Priya Raman please check the **jig**."
    )
    assert list(Mention.objects.values_list("user_id", flat=True)) == [priya.pk]
    html = str(selectors.thread(owner, task)[0].html)
    assert f'href="/accounts/people/#person-{priya.pk}"' in html
    assert "@Priya Raman</a> please check the <strong>jig</strong>." in html
    assert comment.target_kind == "task" and comment.target_id == task.pk


def test_only_real_mentions_look_like_mentions(owner: Any, task: Any, priya: Any) -> None:
    """A comment's own ``<a class="mention">`` kept the class, so a link anywhere looked like a
    mention of someone (until 2026-12-06)."""
    services.add_comment(
        actor=owner,
        target=task,
        body='@Priya Raman see <a class="mention" href="https://evil.example/">@CEO</a>',
    )
    html = str(selectors.thread(owner, task)[0].html)
    assert html.count('class="mention"') == 1
    assert f'<a class="mention" href="/accounts/people/#person-{priya.pk}"' in html
    assert (
        '<a class="" href="https://evil.example/" rel="noopener noreferrer nofollow">@CEO</a>'
        in html
    )


def test_a_mention_of_someone_outside_the_organisation_is_plain_text(
    owner: Any, task: Any, outsider: Any
) -> None:
    known = services.add_comment(
        actor=owner, target=task, body=f"@{outsider.email} and @Oscar Outsider"
    )
    unknown = services.add_comment(
        actor=owner, target=task, body="@nobody@nowhere.example and @Oscar Nobody"
    )
    assert not Mention.objects.exists()
    shown = {s.comment.pk: str(s.html) for s in selectors.thread(owner, task)}
    assert shown[known.pk] == f"<p>@{outsider.email} and @Oscar Outsider</p>"
    assert shown[unknown.pk] == "<p>@nobody@nowhere.example and @Oscar Nobody</p>"


def test_html_scripts_and_htmx_attributes_are_stripped(owner: Any, task: Any) -> None:
    body = (
        '<img src=x onerror="alert(1)"><script>alert(2)</script>'
        '<a href="javascript:alert(3)" hx-get="/accounts/sign-out/">click</a> '
        '<div hx-post="/x" hx-trigger="load" data-hx-post="/y">text</div> [ok](https://example.com)'
    )
    services.add_comment(actor=owner, target=task, body=body)
    html = str(selectors.thread(owner, task)[0].html).lower()
    for bad in ("<img", "<script", "onerror", "javascript:", "hx-", "<div"):
        assert bad not in html, bad
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html


def test_a_comment_of_one_megabyte_is_refused_with_a_clear_message(
    owner: Any, task: Any, signed_in: Any, api: Any
) -> None:
    huge = "x" * 1_048_576
    with pytest.raises(Invalid) as caught:
        services.add_comment(actor=owner, target=task, body=huge)
    assert caught.value.message == "A comment is at most 10,000 characters; this one has 1,048,576."
    page = signed_in(owner).post(f"/comments/task/{task.pk}/", {"body": huge})
    assert page.status_code == 422
    assert "at most 10,000 characters" in page.content.decode()
    r = api(owner).post(
        f"/api/organisations/{task.organisation_id}/comments/task/{task.pk}", {"body": huge}
    )
    assert r.status_code == 422 and r.json()["field"] == "body"
    assert not Comment.objects.exists()
    # A field called "body" was dropped with the request's own "body" location: a null named
    # no field at all.
    r = api(owner).post(
        f"/api/organisations/{task.organisation_id}/comments/task/{task.pk}", {"body": None}
    )
    assert (r.status_code, r.json()["field"]) == (422, "body")


def test_editing_within_the_window_marks_it_edited_and_later_is_refused(
    owner: Any, task: Any, priya: Any, signed_in: Any
) -> None:
    comment = services.add_comment(actor=owner, target=task, body="First take")
    with pytest.raises(Forbidden):
        services.edit_comment(
            actor=priya, comment=comment, target=task, body="Mine now", expected_version=1
        )
    services.edit_comment(
        actor=owner,
        comment=comment,
        target=task,
        body="Second take @Priya Raman",
        expected_version=1,
    )
    comment.refresh_from_db()
    assert (comment.body, comment.version, comment.edited_at is not None) == (
        "Second take @Priya Raman",
        2,
        True,
    )
    assert list(Mention.objects.values_list("user_id", flat=True)) == [priya.pk]
    html = signed_in(owner).get(f"/projects/{task.project_id}/tasks/{task.pk}/").content.decode()
    assert "edited</span>" in html and "Second take" in html
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )
    comment.refresh_from_db()
    with pytest.raises(Forbidden) as late:
        services.edit_comment(
            actor=owner, comment=comment, target=task, body="Third", expected_version=2
        )
    assert late.value.message == "A comment can be edited for 15 minutes after posting."
    assert signed_in(owner).get(f"/comments/{comment.pk}/edit/").status_code == 403


def test_delete_is_soft_and_only_for_the_author_or_an_admin(
    owner: Any, task: Any, priya: Any, admin: Any, signed_in: Any
) -> None:
    mine = services.add_comment(actor=priya, target=task, body="Secret recipe")
    other = services.add_comment(actor=owner, target=task, body="Owner's note")
    with pytest.raises(Forbidden):
        services.delete_comment(actor=priya, comment=other, target=task)
    services.delete_comment(actor=priya, comment=mine, target=task)
    services.delete_comment(actor=admin, comment=other, target=task)
    assert Comment.objects.filter(deleted_at__isnull=False).count() == 2
    html = signed_in(owner).get(f"/projects/{task.project_id}/tasks/{task.pk}/").content.decode()
    assert "Secret recipe" not in html and "Comment deleted." in html
    assert "Comment deleted by an admin." in html


def test_roles_guests_read_outsiders_see_nothing(
    owner: Any, task: Any, guest: Any, outsider: Any, api: Any
) -> None:
    services.add_comment(actor=owner, target=task, body="Hello")
    with pytest.raises(Forbidden):
        services.add_comment(actor=guest, target=task, body="Me too")
    org = task.organisation_id
    assert [
        c["body"]
        for c in api(guest).get(f"/api/organisations/{org}/comments/task/{task.pk}").json()
    ] == ["Hello"]
    with pytest.raises(NotFound):
        selectors.get_target(outsider, task.organisation, "task", task.pk)
    assert api(outsider).get(f"/api/organisations/{org}/comments/task/{task.pk}").status_code == 404
    assert Comment.objects.count() == 1


def test_api_add_edit_delete(owner: Any, task: Any, priya: Any, api: Any) -> None:
    client, org = api(owner), task.organisation_id
    r = client.post(
        f"/api/organisations/{org}/comments/task/{task.pk}", {"body": "Hi @Priya Raman"}
    )
    assert r.status_code == 201
    made = r.json()
    assert made["mentions"] == [{"id": priya.pk, "name": "Priya Raman"}]
    assert made["version"] == 1 and made["editable_until"] is not None
    stale = client.patch(
        f"/api/organisations/{org}/comments/{made['id']}", {"body": "x", "version": 7}
    )
    assert stale.status_code == 409
    r = client.patch(
        f"/api/organisations/{org}/comments/{made['id']}", {"body": "Hi all", "version": 1}
    )
    assert (r.status_code, r.json()["body"], r.json()["mentions"]) == (200, "Hi all", [])
    assert client.delete(f"/api/organisations/{org}/comments/{made['id']}").status_code == 204
    listed = client.get(f"/api/organisations/{org}/comments/task/{task.pk}").json()
    assert [(c["deleted"], c["body"], c["html"]) for c in listed] == [(True, "", "")]
    assert client.get(f"/api/organisations/{org}/comments/nothing/{task.pk}").status_code == 404


def test_the_page_form_posts_and_the_thread_costs_constant_queries(
    owner: Any, task: Any, priya: Any, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(owner)
    r = client.post(f"/comments/task/{task.pk}/", {"body": "Via the page"})
    assert r.status_code == 302 and r.url.endswith(
        f"/tasks/{task.pk}/#comment-{Comment.objects.get().pk}"
    )
    for i in range(15):
        services.add_comment(
            actor=priya if i % 2 else owner, target=task, body=f"Note {i} @Priya Raman"
        )
    url = f"/projects/{task.project_id}/tasks/{task.pk}/"
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    n = len(few.captured_queries)
    services.add_comment(actor=owner, target=task, body="One more @Priya Raman")
    with django_assert_max_num_queries(n):
        assert "One more" in client.get(url).content.decode()


def test_mentions_of_me_lists_comments_on_any_object(
    owner: Any, project: Any, task: Any, priya: Any, signed_in: Any
) -> None:
    services.add_comment(actor=owner, target=project, body="@Priya Raman the project")
    services.add_comment(actor=owner, target=task, body="@priya@acme.example the task")
    html = signed_in(priya).get("/attachments/mentions/").content.decode()
    assert "the project" in html and "the task" in html
    assert html.index("the task") < html.index("the project")


def test_mentioned_members_and_followers_are_notified_once_outsiders_never(
    owner: Any, task: Any, priya: Any, admin: Any, outsider: Any
) -> None:
    from twofold.notifications.models import Notification

    services.add_comment(actor=admin, target=task, body="I follow this now")
    comment = services.add_comment(
        actor=owner, target=task, body=f"@Priya Raman and @{outsider.email}: ready?"
    )
    services.edit_comment(
        actor=owner,
        comment=comment,
        target=task,
        body=f"@Priya Raman and @{outsider.email}: ready now?",
        expected_version=1,
    )
    told = sorted(Notification.objects.values_list("recipient_id", "kind", "url"))
    url = f"/projects/{task.project_id}/tasks/{task.pk}/#comment-{comment.pk}"
    assert told == sorted([(priya.pk, "mentioned", url), (admin.pk, "comment", url)])
    assert not Notification.objects.filter(recipient=outsider).exists()
