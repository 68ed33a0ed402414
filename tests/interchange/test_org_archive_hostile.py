"""Organisation archives that made the import a 500 or kept stale ids (a review found each):
a damaged or encrypted entry, badly shaped data (the organisation's settings a number, an id
or a foreign key a list), and the ids inside JSON columns (a risk analysis's estimates and
last run, an MSPDI import's task UIDs, a handover part's assignee, calendar and team, a
template's calendar), which were copied as they were."""

# The fixtures media and small_org come from test_org_archive: their names are imported, then
# requested as parameters of the same name.
# ruff: noqa: F811

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.interchange.test_mspdi_import import PLAN
from tests.interchange.test_org_archive import (  # noqa: F401 - fixtures among them
    _rebuilt,
    _set_first,
    _valid_entries,
    media,
    small_org,
)
from twofold.accounts.models import Organisation, Role, StandIn, Team, User
from twofold.calendars.models import Calendar
from twofold.closeout.models import HandoverPart
from twofold.core.errors import Invalid
from twofold.improvement.models import Handover
from twofold.interchange import backup, mspdi_import, safe_archive
from twofold.interchange.models import ImportedProject
from twofold.interchange.org_archive import export_bytes, import_organisation
from twofold.project_templates.models import ProjectTemplate
from twofold.projects import services as projects
from twofold.projects.models import Project, Task
from twofold.risks import services as risks
from twofold.risks.models import RiskAnalysis

pytestmark = pytest.mark.django_db


# --- 4. damaged and encrypted entries --------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return bytearray(buffer.getvalue())


def _damaged(entries: dict[str, bytes], name: str, how: str) -> bytes:
    """The archive of ``entries`` with entry ``name`` damaged: its CRC changed, its deflate
    stream overwritten, flagged as encrypted, or naming an unknown compression method (in
    the local header and the central directory alike)."""
    raw = _zip(entries)
    data = bytes(raw)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local = info.header_offset
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    if how == "crc":
        raw[local + 14] ^= 0xFF
        raw[central + 16] ^= 0xFF
    elif how == "deflate":
        start = local + 30 + int.from_bytes(raw[local + 26 : local + 28], "little")
        start += int.from_bytes(raw[local + 28 : local + 30], "little")
        raw[start : start + info.compress_size] = b"\xff" * info.compress_size
    elif how == "encrypted":
        raw[local + 6] |= 1
        raw[central + 8] |= 1
    else:
        raw[local + 8] = raw[central + 10] = 99
    return bytes(raw)


DAMAGE = [
    ("crc", "Bad CRC-32 for file '{name}' (BadZipFile)"),
    ("deflate", "Error -3 while decompressing data: invalid block type (error)"),
    ("encrypted", "it is encrypted"),
    ("method", "That compression method is not supported (NotImplementedError)"),
]


@pytest.mark.parametrize("name", ["manifest.json", "organisation.json"])
@pytest.mark.parametrize(("how", "reason"), DAMAGE)
def test_a_damaged_or_encrypted_entry_is_refused_naming_it(
    small_org: Organisation, make_user: Any, media: Path, name: str, how: str, reason: str
) -> None:
    archive = _damaged(_valid_entries(small_org), name, how)
    orgs, users = Organisation.objects.count(), User.objects.count()
    importer = make_user()
    with pytest.raises(Invalid) as caught:
        import_organisation(actor=importer, source=io.BytesIO(archive))
    assert caught.value.field == "file"
    assert caught.value.message == (
        f"The archive was refused: entry {name!r} cannot be read: {reason.format(name=name)}."
    )
    assert Organisation.objects.count() == orgs and User.objects.count() == users + 1


@pytest.mark.parametrize("how", ["crc", "encrypted"])
def test_the_api_and_the_page_answer_422_for_a_damaged_archive(
    small_org: Organisation, member: Any, media: Path, client: Any, how: str
) -> None:
    archive = _damaged(_valid_entries(small_org), "manifest.json", how)
    client.raise_request_exception = False
    client.force_login(member(small_org, Role.MEMBER))
    orgs = Organisation.objects.count()
    api = client.post("/api/organisation-imports", {"file": SimpleUploadedFile("o.zip", archive)})
    assert api.status_code == 422 and api.json()["field"] == "file"
    page = client.post(
        "/organisation/import/", {"file": SimpleUploadedFile("o.zip", archive), "name": ""}
    )
    assert page.status_code == 422
    assert Organisation.objects.count() == orgs


@pytest.mark.parametrize(("how", "reason"), DAMAGE)
def test_a_backup_with_a_damaged_manifest_is_refused(tmp_path: Path, how: str, reason: str) -> None:
    manifest = json.dumps({"format": 1, "vendor": "sqlite", "tables": {}, "files": {}})
    path = tmp_path / "backup.zip"
    path.write_bytes(_damaged({"manifest.json": manifest.encode() * 20}, "manifest.json", how))
    with pytest.raises(backup.BackupError) as caught:
        backup.check_archive(path, room=tmp_path)
    assert str(caught.value) == (
        f"entry 'manifest.json' cannot be read: {reason.format(name='manifest.json')}"
    )


def test_read_entry_and_iter_verified_name_an_encrypted_entry() -> None:
    raw = _damaged({"a.txt": b"hello " * 100}, "a.txt", "encrypted")
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        for read in (
            lambda: safe_archive.read_entry(zf, "a.txt"),
            lambda: safe_archive.read_verified(zf, "a.txt", 600, "0" * 64),
        ):
            with pytest.raises(safe_archive.ArchiveError) as caught:
                read()
            assert str(caught.value) == "entry 'a.txt' cannot be read: it is encrypted"


# --- 5. badly shaped data --------------------------------------------------------------------


def _first_id(entries: dict[str, bytes], label: str) -> int:
    return int(json.loads(entries["organisation.json"])["rows"][label]["values"][0][0])


def _organisation(value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["organisation"] = value

    return change


def _twice(label: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        values = doc["rows"][label]["values"]
        values.append(list(values[0]))

    return change


def _column(label: str, name: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["rows"][label]["columns"].append(name)
        for row in doc["rows"][label]["values"]:
            row.append(None)

    return change


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "organisation a number",
            "The organisation's settings in the archive are damaged (expected an object, found 5).",
        ),
        ("organisation a list", '… found ["Acme"]).'),
        ("id a list", "A row of projects.Project has the id [1]: an id is a whole number."),
        ("id null", "A row of projects.Task has the id null: an id is a whole number."),
        ("id text", 'A row of projects.Task has the id "7": an id is a whole number.'),
        ("id true", "A row of projects.Task has the id true: an id is a whole number."),
        ("same id twice", "Two rows of projects.Task have the id {task}: damaged archive."),
        (
            "foreign key a list",
            "Row {task} of projects.Task has project_id [1]: an id is a whole number or null.",
        ),
        (
            "foreign key a float",
            "Row {task} of projects.Task has project_id 1.5: an id is a whole number or null.",
        ),
        (
            "generic id an object",
            'Row {entry} of core.HistoryEntry has object_id {"a": 1}: an '
            "id is a whole number or null.",
        ),
        ("column a number", "projects.Task has a column 5 this instance does not know."),
    ],
)
def test_badly_shaped_data_is_refused_naming_the_problem(
    small_org: Organisation,
    make_user: Any,
    member: Any,
    media: Path,
    client: Any,
    case: str,
    message: str,
) -> None:
    entries = _valid_entries(small_org)
    change = {
        "organisation a number": _organisation(5),
        "organisation a list": _organisation(["Acme"]),
        "id a list": _set_first("projects.Project", "id", [1]),
        "id null": _set_first("projects.Task", "id", None),
        "id text": _set_first("projects.Task", "id", "7"),
        "id true": _set_first("projects.Task", "id", True),
        "same id twice": _twice("projects.Task"),
        "foreign key a list": _set_first("projects.Task", "project_id", [1]),
        "foreign key a float": _set_first("projects.Task", "project_id", 1.5),
        "generic id an object": _set_first("core.HistoryEntry", "object_id", {"a": 1}),
        "column a number": _column("projects.Task", 5),
    }[case]
    archive = _rebuilt(entries, change)
    expected = message.replace("{task}", str(_first_id(entries, "projects.Task"))).replace(
        "{entry}", str(_first_id(entries, "core.HistoryEntry"))
    )
    orgs = Organisation.objects.count()
    with pytest.raises(Invalid) as caught:
        import_organisation(actor=make_user(), source=io.BytesIO(archive))
    if expected.startswith("…"):
        assert caught.value.message.endswith(expected[1:])
    else:
        assert caught.value.message == expected
    assert caught.value.field == "file"
    # through the page: 422 with the message, never a 500
    client.raise_request_exception = False
    client.force_login(member(small_org, Role.MEMBER))
    page = client.post(
        "/organisation/import/", {"file": SimpleUploadedFile("o.zip", archive), "name": ""}
    )
    assert page.status_code == 422
    assert Organisation.objects.count() == orgs


# --- 6. ids inside JSON columns ---------------------------------------------------------------


def test_ids_inside_json_columns_name_the_copies_rows(
    org: Organisation, owner: User, make_user: Any, media: Path
) -> None:
    project = projects.create_project(actor=owner, organisation=org, name="P", code="P")
    weld, _ = projects.create_task(actor=owner, project=project, name="Weld", duration_minutes=960)
    paint, _ = projects.create_task(actor=owner, project=project, name="Paint")
    risks.save_settings(
        actor=owner,
        project=project,
        expected_version=None,
        estimates={weld.pk: (480, 960, 1920), paint.pk: (240, 480, 600)},
    )
    gone = Task.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    RiskAnalysis.objects.filter(project=project).update(
        estimates={str(weld.pk): [480, 960, 1920], str(gone): [1, 2, 3], "x": [1, 2, 3]},
        result={
            "iterations": 100,
            "criticality": [
                {"id": weld.pk, "name": "Weld", "ci": 0.9, "sensitivity": 0.5},
                {"id": gone, "name": "Gone", "ci": 0.1, "sensitivity": 0.1},
            ],
            "tornado": [{"id": weld.pk, "name": "Weld", "sensitivity": 0.5}],
            "events": ["Late steel"],
        },
    )
    shifts = Calendar.objects.create(organisation=org, name="Shifts", hours={})
    crew = Team.objects.create(organisation=org, name="Crew")
    handover = Handover.objects.create(organisation=org, project=project, new_process_name="Ops")
    HandoverPart.objects.create(
        organisation=org,
        handover=handover,
        kind="routine",
        name="Check",
        spec={"description": "Daily", "assignee_id": owner.pk, "calendar_id": shifts.pk},
    )
    HandoverPart.objects.create(
        organisation=org, handover=handover, kind="process", name="Team", spec={"team_id": crew.pk}
    )
    HandoverPart.objects.create(
        organisation=org,
        handover=handover,
        kind="queue",
        name="Desk",
        spec={"calendar_id": gone, "team_id": [crew.pk]},
    )
    ProjectTemplate.objects.create(
        organisation=org, name="T", content={"calendar_id": shifts.pk, "tasks": []}
    )
    upload = mspdi_import.upload_mspdi(actor=owner, organisation=org, file_name="l.xml", data=PLAN)
    mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", code="L4")

    importer = make_user()
    new = import_organisation(actor=importer, source=io.BytesIO(export_bytes(org))).organisation

    copy = {t.name: t.pk for t in Task.objects.filter(organisation=new, project__code="P")}
    analysis = RiskAnalysis.objects.get(organisation=new)
    assert analysis.estimates == {str(copy["Weld"]): [480, 960, 1920]}
    assert analysis.result == {
        "iterations": 100,
        "criticality": [{"id": copy["Weld"], "name": "Weld", "ci": 0.9, "sensitivity": 0.5}],
        "tornado": [{"id": copy["Weld"], "name": "Weld", "sensitivity": 0.5}],
        "events": ["Late steel"],
    }
    new_shifts = Calendar.objects.get(organisation=new, name="Shifts").pk
    new_crew = Team.objects.get(organisation=new, name="Crew").pk
    stand_in = StandIn.objects.get(organisation=new, email=owner.email).user_id
    assert dict(HandoverPart.objects.filter(organisation=new).values_list("name", "spec")) == {
        "Check": {"description": "Daily", "assignee_id": stand_in, "calendar_id": new_shifts},
        "Team": {"team_id": new_crew},
        "Desk": {"calendar_id": None, "team_id": None},  # never an id the archive lacks
    }
    assert ProjectTemplate.objects.get(organisation=new).content == {
        "calendar_id": new_shifts,
        "tasks": [],
    }
    source = ImportedProject.objects.get(organisation=new)
    imported = Project.objects.get(organisation=new, code="L4")
    assert sorted(source.uid_map.values()) == sorted(
        Task.objects.filter(project=imported).values_list("pk", flat=True)
    )
    # The same file again, as an update of the copy: nothing to add or remove (every task
    # was added a second time).
    again = mspdi_import.upload_mspdi(
        actor=importer, organisation=new, file_name="l.xml", data=PLAN
    )
    assert again.preview["changes"]["counts"] == {"added": 0, "removed": 0, "changed": 0}
