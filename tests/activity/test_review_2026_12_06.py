"""Review of 2026-12-06: the Atom feed escapes changes twice (HTML, then XML) and stays XML
whatever the text holds; the API refuses a kind it does not know."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest

from twofold.activity.views import xml_text
from twofold.comments import services as comment_services
from twofold.comments.models import Comment
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(api: Any, client: Any, org: Any, user: Any) -> ET.Element:
    made = api(user).post(f"/api/organisations/{org.pk}/activity-feeds").json()
    path = "/" + made["url"].split("://", 1)[1].split("/", 1)[1]
    r = client.get(path)
    assert r.status_code == 200
    return ET.fromstring(r.content)  # raises on ill-formed XML


def _contents(root: ET.Element) -> list[str]:
    return [(e.find(ATOM + "content").text or "") for e in root.findall(ATOM + "entry")]  # type: ignore[union-attr]


def test_a_changed_value_reaches_the_feed_reader_as_text_not_markup(
    org: Any, owner: Any, task: Any, api: Any, client: Any
) -> None:
    """``type="html"``: the reader un-escapes the XML, then renders HTML. The values were
    escaped once, so a task renamed to an <img onerror> was live HTML in the reader."""
    project_services.update_task(
        actor=owner, task=task, expected_version=task.version, name="<img src=x onerror=alert(1)>"
    )
    contents = _contents(_feed(api, client, org, owner))
    assert contents[0] == "Name: Weld frame → &lt;img src=x onerror=alert(1)&gt;<br>"
    assert not any("<img" in c for c in contents)


def test_a_comment_reaches_the_feed_reader_as_its_sanitised_html(
    org: Any, owner: Any, task: Any, api: Any, client: Any
) -> None:
    comment_services.add_comment(
        actor=owner, target=task, body="**bold** <img src=x onerror=alert(1)> & more"
    )
    contents = _contents(_feed(api, client, org, owner))
    assert contents[0] == "<p><strong>bold</strong>  &amp; more</p>"


def test_the_feed_stays_xml_with_a_control_character_in_any_text(
    org: Any, owner: Any, task: Any, api: Any, client: Any
) -> None:
    """One control character (a comment stored before comments refused them, a task's name)
    made the whole feed ill-formed: a reader then shows nothing at all."""
    project_services.update_task(
        actor=owner, task=task, expected_version=task.version, name="Weld\x0b frame\x1b 2"
    )
    Comment.objects.create(
        organisation=org,
        target_kind="task",
        target_id=task.pk,
        author=owner,
        body="odd \x0b char \x08 here",
    )
    root = _feed(api, client, org, owner)
    contents = _contents(root)
    assert contents[0] == "<p>odd  char  here</p>"
    assert contents[1] == "Name: Weld frame → Weld frame 2<br>"
    titles = [e.find(ATOM + "title").text for e in root.findall(ATOM + "entry")]  # type: ignore[union-attr]
    assert titles[0] == f"{owner.display_name} commented on the task Weld frame 2"


def test_xml_text_keeps_what_xml_allows_and_drops_the_rest() -> None:
    allowed = "tab\t lf\n cr\r é € 😀 \x7f \ufffd"
    assert xml_text(allowed) == allowed
    assert xml_text("a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\ud800i\udfffj\ufffek\uffffl") == (
        "abcdefghijkl"
    )


@pytest.mark.parametrize("kind", ["tasks", "Task", "x" * 300, "comments"])
def test_the_api_refuses_an_unknown_kind_naming_it(
    org: Any, owner: Any, task: Any, api: Any, kind: str
) -> None:
    """It answered 200 with no entries: a typo read as "nothing happened"."""
    comment_services.add_comment(actor=owner, target=task, body="hi")
    r = api(owner).get(f"/api/organisations/{org.pk}/activity?{urlencode({'kind': kind})}")
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "kind"
    assert body["detail"].startswith(f"There is no kind {kind[:40]!r}: use one of project, task,")
    assert body["detail"].endswith(", or comment.")


@pytest.mark.parametrize(
    ("kind", "count"), [("", 3), ("comment", 1), ("task", 2), ("project", 1), ("routine", 0)]
)
def test_the_api_keeps_every_known_kind_and_no_kind(
    org: Any, owner: Any, task: Any, api: Any, kind: str, count: int
) -> None:
    comment_services.add_comment(actor=owner, target=task, body="hi")
    query = f"?{urlencode({'kind': kind})}" if kind else ""
    r = api(owner).get(f"/api/organisations/{org.pk}/activity{query}")
    assert r.status_code == 200
    assert len(r.json()["entries"]) == count


def test_the_page_still_ignores_an_unknown_kind(
    org: Any, owner: Any, task: Any, signed_in: Any
) -> None:
    """The page's filter is a select: an unknown value shows everything, as before."""
    r = signed_in(owner).get("/activity/", {"kind": "tasks"})
    assert r.status_code == 200
    assert r.context["kind"] == ""
