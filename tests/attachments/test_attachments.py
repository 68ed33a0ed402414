"""Attachments: upload limits, safe downloads, permissions, delete; mentions in comments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.accounts.models import Role
from twofold.attachments import mentions
from twofold.attachments.models import Attachment
from twofold.comments.models import Comment
from twofold.core.models import HistoryEntry
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def task(project: Any, owner: Any) -> Any:
    t, _ = project_services.create_task(actor=owner, project=project, name="Weld jig")
    return t


def _url(task: Any) -> str:
    return f"/attachments/task/{task.pk}/"


def _upload(client: Any, task: Any, name: str, body: bytes = b"hello", **kw: Any) -> Any:
    return client.post(_url(task), {"file": SimpleUploadedFile(name, body, **kw)})


def test_upload_and_download_with_safe_headers(client, task, editor, media):
    client.force_login(editor)
    name = 'report "Q1" <script>.pdf'
    r = _upload(client, task, name, b"%PDF-1.4 fake", content_type="text/html")
    assert r.status_code == 302 and r["Location"] == f"/projects/{task.project_id}/tasks/{task.pk}/"
    a = Attachment.objects.get()
    assert a.original_name == name and a.size == 13 and a.uploaded_by == editor
    stored = Path(a.file.name)
    assert stored.parent.as_posix() == f"attachments/{task.organisation_id}"
    assert stored.suffix == ".pdf" and len(stored.stem) == 32 and "report" not in stored.name
    r = client.get(f"/attachments/{a.pk}/download/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"%PDF-1.4 fake"
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == (
        'attachment; filename="report__Q1___script_.pdf"; '
        "filename*=UTF-8''report%20%22Q1%22%20%3Cscript%3E.pdf"
    )
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Security-Policy"] == "sandbox"
    page = client.get(f"/projects/{task.project_id}/tasks/{task.pk}/").content.decode()
    assert "report &quot;Q1&quot; &lt;script&gt;.pdf" in page and "<script>.pdf" not in page
    entry = HistoryEntry.objects.get(action="attachment added")
    assert entry.summary == f"Attached {name}"


def test_other_types_download_as_octet_stream(client, task, editor):
    client.force_login(editor)
    _upload(client, task, "../../etc/notes.csv", b"=cmd|' /C calc'!A0")
    a = Attachment.objects.get()
    assert a.original_name == "notes.csv"
    r = client.get(f"/attachments/{a.pk}/download/")
    assert r["Content-Type"] == "application/octet-stream"


def test_oversize_and_bad_types_are_refused_and_nothing_saved(client, task, editor, media):
    client.force_login(editor)
    big = b"x" * (10 * 1024 * 1024 + 1)
    r = _upload(client, task, "drawing.pdf", big)
    assert r.status_code == 413
    assert "The file is 10.0 MB; attachments can be at most 10 MB." in r.content.decode()
    r = _upload(client, task, "run.exe", b"MZ")
    assert r.status_code == 422
    assert "Files of type .exe cannot be attached." in r.content.decode()
    r = _upload(client, task, "page.html", b"<script>")
    assert r.status_code == 422
    assert Attachment.objects.count() == 0
    assert not any(p.is_file() for p in media.rglob("*"))


def test_smaller_global_request_limit_applies(client, task, editor, settings):
    settings.TWOFOLD_MAX_REQUEST_BYTES = 1024 * 1024
    client.force_login(editor)
    r = _upload(client, task, "a.png", b"x" * (1024 * 1024 - 10 + 20))
    assert r.status_code == 413
    assert r.content.decode() == "The request is too large: the limit is 1 MB."
    assert Attachment.objects.count() == 0


def test_permissions(client, org, task, owner, editor, guest, outsider, member):
    client.force_login(editor)
    _upload(client, task, "a.png", b"\x89PNG\r\n\x1a\n")
    a = Attachment.objects.get()
    client.force_login(outsider)
    assert client.get(f"/attachments/{a.pk}/download/").status_code == 404
    assert client.get(_url(task)).status_code == 404
    assert _upload(client, task, "b.png").status_code == 404
    assert client.post(f"/attachments/{a.pk}/delete/").status_code == 404
    client.force_login(guest)
    assert client.get(f"/attachments/{a.pk}/download/").status_code == 200
    assert _upload(client, task, "b.png").status_code == 403
    assert client.post(f"/attachments/{a.pk}/delete/").status_code == 403
    other = member(org, Role.MEMBER)
    client.force_login(other)
    # Offered to the uploader and admins only; another member may upload but not delete it.
    page = client.get(_url(task)).content.decode()
    assert "Upload" in page and f'action="/attachments/{a.pk}/delete/"' not in page
    r = client.post(f"/attachments/{a.pk}/delete/")
    assert r.status_code == 403 and Attachment.objects.count() == 1
    # The reason on a full page, and not left behind as a flash for the next one.
    assert "Only the person who uploaded a file or an admin can delete it." in r.content.decode()
    assert r["Content-Type"].startswith("text/html")
    assert "Only the person who uploaded" not in client.get(_url(task)).content.decode()
    client.force_login(editor)
    assert f'action="/attachments/{a.pk}/delete/"' in client.get(_url(task)).content.decode()
    client.force_login(owner)  # an admin may delete anyone's file
    assert client.post(f"/attachments/{a.pk}/delete/").status_code == 302
    assert Attachment.objects.count() == 0
    assert HistoryEntry.objects.filter(action="attachment deleted").count() == 1


def test_project_attachments(client, project, editor):
    client.force_login(editor)
    r = client.post(
        f"/attachments/project/{project.pk}/",
        {"file": SimpleUploadedFile("plan.xlsx", b"PK\x03\x04")},
    )
    assert r.status_code == 302 and r["Location"] == f"/projects/{project.pk}/"
    assert "plan.xlsx" in client.get(f"/projects/{project.pk}/").content.decode()


def test_mentions_escape_and_link_only_members(org, owner, member, outsider):
    priya = member(org, Role.MEMBER, full_name="Priya Raman", email="priya@example.com")
    people = mentions.directory(org.pk)
    html = mentions.render(
        "<b>@Priya Raman</b> please check; cc @priya@example.com, @Oscar Outsider & @Nobody",
        people,
    )
    url = f'/accounts/people/#person-{priya.pk}" title="priya@example.com">@Priya Raman</a>'
    assert html == (
        f'&lt;b&gt;<a class="mention" href="{url}&lt;/b&gt; please check; '
        f'cc <a class="mention" href="{url}, @Oscar Outsider &amp; @Nobody'
    )
    assert mentions.render("<i>x</i>", None) == "&lt;i&gt;x&lt;/i&gt;"


def test_task_page_links_mentions_and_my_mentions_page(
    client, org, owner, task, member, django_assert_max_num_queries
):
    priya = member(org, Role.MEMBER, full_name="Priya Raman")
    project_services.add_comment(actor=owner, task=task, body="First, @Priya Raman: jig ready?")
    project_services.add_comment(actor=owner, task=task, body="No mention of Priya here")
    project_services.add_comment(actor=owner, task=task, body="@Priya Ramanathan is someone else")
    project_services.add_comment(
        actor=owner, task=task, body="Later <script>x</script> @Priya Raman"
    )
    client.force_login(owner)
    page = client.get(f"/projects/{task.project_id}/tasks/{task.pk}/").content.decode()
    assert page.count('class="mention"') == 2 and "<script>x" not in page
    client.force_login(priya)
    page = client.get("/attachments/mentions/").content.decode()
    later = Comment.objects.get(body__startswith="Later")
    first = Comment.objects.get(body__startswith="First")
    assert page.index("Later") < page.index("First, ") and "<script>x" not in page
    assert page.count('<li>\n    <p class="small">') == 2 and later.pk and first.pk
    for i in range(10):
        project_services.add_comment(actor=owner, task=task, body=f"@Priya Raman {i}")
    with django_assert_max_num_queries(12):
        page = client.get("/attachments/mentions/").content.decode()
    assert page.count('class="mention"') == 12


def test_a_long_file_name_keeps_its_extension(client, task, editor, media):
    # The name was cut to 200 characters, extension and all: "Files of type (none)".
    client.force_login(editor)
    name = "Inspection report " + "x" * 300 + ".pdf"
    r = _upload(client, task, name, b"%PDF-1.4 fake")
    assert r.status_code == 302
    a = Attachment.objects.get()
    assert len(a.original_name) == 200
    assert a.original_name == ("Inspection report " + "x" * 300)[:196] + ".pdf"
    assert a.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("evil.png", b"<html><script>alert(1)</script>"),
        ("evil.pdf", b"<html><script>alert(1)</script>"),
        ("part.step", b"<script>alert(1)</script>"),
        ("notes.txt", b"MZ\x90\x00"),
    ],
)
def test_content_must_match_the_extension(
    client: Any, task: Any, editor: Any, media: Any, name: str, body: bytes
) -> None:
    """Only the size and the extension were checked: HTML named evil.png was stored and listed
    as an image (core.uploads' content check was not used here)."""
    client.force_login(editor)
    r = _upload(client, task, name, body)
    assert r.status_code == 422
    assert "does not match its extension" in r.content.decode()
    assert not Attachment.objects.exists()


def test_cad_exchange_files_are_recognised(client: Any, task: Any, editor: Any, media: Any) -> None:
    client.force_login(editor)
    assert _upload(client, task, "bracket.step", b"ISO-10303-21;\nHEADER;").status_code == 302
    assert _upload(client, task, "plate.dxf", b"  0\nSECTION\n  2\nHEADER\n").status_code == 302
