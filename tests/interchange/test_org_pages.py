"""Settings → Export & import, and the same through the API."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core import jobs
from twofold.core.middleware import SESSION_ORG_KEY
from twofold.interchange import org_archive
from twofold.projects import services as project_services
from twofold.projects.models import Project

URL = "/organisation/transfer/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def planned(org: Organisation, owner: User) -> Organisation:
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU"
    )
    project_services.create_task(actor=owner, project=project, name="Design")
    return org


def manifest_of(payload: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        return dict(json.loads(zf.read("manifest.json")))


def test_the_page_offers_export_to_owners_and_import_to_everyone(
    planned: Organisation,
    owner: User,
    member: Any,
    signed_in: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(owner)
    with django_assert_max_num_queries(14):
        page = client.get(URL).content.decode()
    assert "Export the organisation" in page and "Import as a new organisation" in page
    guest = signed_in(member(planned, Role.MEMBER))
    page = guest.get(URL).content.decode()
    assert "Export the organisation" not in page and "Only the organisation" in page
    assert guest.post(URL).status_code == 403


def test_an_owner_downloads_a_small_organisation_at_once(
    planned: Organisation, owner: User, signed_in: Any
) -> None:
    response = signed_in(owner).post(URL)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="org-')
    manifest = manifest_of(response.content)
    assert manifest["organisation"] == "Acme Engineering"
    assert manifest["counts"]["projects.Project"] == 1 and manifest["counts"]["projects.Task"] == 1


def test_a_large_organisation_is_exported_in_the_background(
    planned: Organisation, owner: User, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(org_archive, "INLINE_ROWS", 1)
    client = signed_in(owner)
    response = client.post(URL)
    assert response.status_code == 302 and "?job=" in response["Location"]
    waiting = client.get(response["Location"]).content.decode()
    assert "Exporting the organisation" in waiting
    assert jobs.run_pending() == 1
    done = client.get(response["Location"]).content.decode()
    assert "The export is ready" in done
    job_id = int(response["Location"].rsplit("=", 1)[1])
    download = client.get(f"/organisation/exports/{job_id}/download/")
    assert download.status_code == 200
    assert manifest_of(b"".join(download.streaming_content))["counts"]["projects.Task"] == 1


def test_importing_through_the_page_creates_and_opens_the_new_organisation(
    planned: Organisation, owner: User, make_user: Any, signed_in: Any
) -> None:
    archive = org_archive.export_bytes(planned)
    importer = make_user(email="ines@example.com")
    Membership.objects.create(organisation=planned, user=importer, role=Role.GUEST)
    client = signed_in(importer)
    response = client.post(
        "/organisation/import/",
        {"file": SimpleUploadedFile("acme.zip", archive), "name": "Acme copy"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    new = Organisation.objects.get(name="Acme copy")
    assert client.session[SESSION_ORG_KEY] == new.pk
    assert Membership.objects.get(organisation=new, user=importer).role == Role.OWNER
    assert list(Project.objects.filter(organisation=new).values_list("name", flat=True)) == [
        "Press line upgrade"
    ]
    assert "Press line upgrade" in client.get("/").content.decode()


def test_a_refused_archive_shows_why_on_the_page(
    planned: Organisation, owner: User, signed_in: Any
) -> None:
    before = Organisation.objects.count()
    response = signed_in(owner).post(
        "/organisation/import/", {"file": SimpleUploadedFile("x.zip", b"not a zip at all")}
    )
    assert response.status_code == 422
    assert "not a readable ZIP archive" in response.content.decode()
    assert Organisation.objects.count() == before


# --- API --------------------------------------------------------------------------------------


def test_the_api_exports_and_imports(
    planned: Organisation, owner: User, member: Any, api: Any, client: Any, api_token: Any
) -> None:
    response = api(owner).post(f"/api/organisations/{planned.pk}/export")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = response.content
    assert (
        api(member(planned, Role.ADMIN)).post(f"/api/organisations/{planned.pk}/export").status_code
        == 403
    )

    queued = api(owner).post(f"/api/organisations/{planned.pk}/export?background=true")
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    url = f"/api/organisations/{planned.pk}/exports/{job_id}/archive"
    assert api(owner).get(url).status_code == 409
    jobs.run_pending()
    fetched = api(owner).get(url)
    assert fetched.status_code == 200
    assert manifest_of(b"".join(fetched.streaming_content))["counts"]["projects.Task"] == 1

    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token(owner)}"}
    created = client.post(
        "/api/organisation-imports",
        {"file": SimpleUploadedFile("acme.zip", archive), "name": "Acme API copy"},
        **headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Acme API copy" and body["counts"]["projects.Task"] == 1
    # Everyone but the importer invited (here the archive's one member is the importer);
    # nothing says which addresses had an account here.
    assert body["people_invited"] == 0
    assert "people_matched" not in body and "people_created" not in body
    refused = client.post(
        "/api/organisation-imports", {"file": SimpleUploadedFile("x.zip", b"nope")}, **headers
    )
    assert refused.status_code == 422 and refused.json()["field"] == "file"


def test_an_archive_whose_data_expands_past_four_times_the_upload_limit_is_refused_unread(
    planned: Organisation,
    owner: User,
    client: Any,
    api_token: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A small upload holding a large organisation.json once held it all in memory (a 0.66 MiB
    zip of 64 MiB of JSON: +316 MiB); the cap is four times the upload limit, checked from
    the archive's directory before the entry is read."""
    settings.TWOFOLD_MAX_REQUEST_BYTES = 64 * 1024
    with zipfile.ZipFile(io.BytesIO(org_archive.export_bytes(planned))) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    payload = entries["organisation.json"] + b" " * (256 * 1024)  # 0.25 MiB + the rows
    manifest = json.loads(entries["manifest.json"])
    manifest["files"]["organisation.json"] = {
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("organisation.json", payload)
        zf.writestr("manifest.json", json.dumps(manifest))
    assert len(buffer.getvalue()) < 64 * 1024
    reads: list[str] = []
    real = org_archive.safe_archive.read_verified
    monkeypatch.setattr(
        org_archive.safe_archive,
        "read_verified",
        lambda zf, name, *a: reads.append(name) or real(zf, name, *a),
    )
    before = Organisation.objects.count()

    response = client.post(
        "/api/organisation-imports",
        {"file": SimpleUploadedFile("big.zip", buffer.getvalue())},
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )

    assert response.status_code == 422
    size = f"{len(payload) / 1024**2:.1f}"
    assert response.json()["detail"] == (
        f"The archive was refused: organisation.json expands to {size} MiB, more than the "
        "0.2 MiB an import reads (an administrator can import it with "
        "twofold import-organisation)."
    )
    assert reads == [] and Organisation.objects.count() == before
    # The command line reads up to 1 GiB.
    imported = org_archive.import_organisation(
        actor=owner,
        source=io.BytesIO(buffer.getvalue()),
        max_data_bytes=org_archive.MAX_DATA_BYTES,
    )
    assert imported.counts["projects.Task"] == 1
