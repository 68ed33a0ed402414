"""Organisation export and import: every model with an organisation path is covered; a round
trip recreates every row (ids remapped, people matched by e-mail or created without a password) and
file; unsafe or damaged archives are refused with nothing created."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.attachments import services as attachment_services
from twofold.attachments.models import Attachment
from twofold.comments import services as comment_services
from twofold.comments.models import Comment
from twofold.core.errors import Forbidden, Invalid
from twofold.core.models import HistoryEntry
from twofold.interchange import org_archive
from twofold.interchange.org_archive import (
    EXCLUDED,
    GENERIC,
    JSON_IDS,
    JSON_WITHOUT_IDS,
    export_bytes,
    exported_models,
    import_organisation,
    models_with_organisation_path,
)
from twofold.projects import services as project_services
from twofold.projects.models import Link, Task
from twofold.risks import services as risk_services
from twofold.risks.models import Risk

PEOPLE = {"accounts.User", "contenttypes.ContentType", "accounts.Organisation"}


# --- coverage: a model added later is exported, or a test fails ------------------------------


def test_every_model_with_an_organisation_path_is_covered_by_the_export() -> None:
    with_path = set(models_with_organisation_path())
    exported = {m._meta.label for m, _ in exported_models()}
    assert with_path == exported | set(EXCLUDED), (
        "a model belongs to an organisation but is neither exported nor in EXCLUDED: "
        f"{sorted(with_path - exported - set(EXCLUDED))}"
    )
    assert set(EXCLUDED) <= with_path, "EXCLUDED names a model without an organisation path"
    assert all(reason.strip() for reason in EXCLUDED.values())
    assert {"projects.Task", "projects.Link", "operations.Kpi", "operations.Measurement"} <= (
        exported
    )
    assert {"risks.Risk", "costs.TimeEntry", "comments.Comment", "core.HistoryEntry"} <= exported


def test_every_integer_id_column_is_a_foreign_key_or_a_declared_generic_id() -> None:
    undeclared = [
        f"{model._meta.label}.{f.name}"
        for model, _ in exported_models()
        for f in model._meta.concrete_fields
        if not f.is_relation
        and not f.primary_key
        and isinstance(f, models.IntegerField)
        and f.name.endswith("_id")
        and (model._meta.label, f.attname) not in GENERIC
    ]
    assert undeclared == [], "declare how to remap these ids in org_archive.GENERIC"
    labels = {m._meta.label for m, _ in exported_models()}
    assert {owner for owner, _ in GENERIC} <= labels


def test_every_json_column_is_declared_with_its_ids_or_as_holding_none() -> None:
    """Ids inside JSON (a risk analysis's estimates by task id, an MSPDI import's task UIDs, a
    handover part's assignee) were copied as they were: each then named a row of the old
    organisation, or of another one here. A JSON column added later must say whether it holds
    ids (``JSON_IDS``, with how to rewrite them) or not (``JSON_WITHOUT_IDS``, with what it
    holds)."""
    json_columns = {
        (model._meta.label, f.attname)
        for model, _ in exported_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.JSONField)
    }
    declared = set(JSON_IDS) | set(JSON_WITHOUT_IDS)
    assert sorted(json_columns - declared) == [], (
        "declare in org_archive.JSON_IDS how to rewrite the ids of these JSON columns, or in "
        "JSON_WITHOUT_IDS what they hold instead"
    )
    assert sorted(declared - json_columns) == [], "a declared JSON column that is not exported"
    assert not set(JSON_IDS) & set(JSON_WITHOUT_IDS)
    assert all(reason.strip() for reason in JSON_WITHOUT_IDS.values())
    assert {
        ("risks.RiskAnalysis", "estimates"),
        ("risks.RiskAnalysis", "result"),
        ("interchange.ImportedProject", "uid_map"),
        ("closeout.HandoverPart", "spec"),
    } <= set(JSON_IDS)


def test_every_foreign_key_of_an_exported_model_can_be_remapped() -> None:
    exported = {m._meta.label for m, _ in exported_models()}
    dangling = [
        f"{model._meta.label}.{f.name} -> {f.related_model._meta.label}"
        for model, _ in exported_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model._meta.label not in exported | PEOPLE
    ]
    assert dangling == []
    unique = [
        f"{model._meta.label}.{f.name}"
        for model, _ in exported_models()
        for f in model._meta.concrete_fields
        if f.unique
        and not f.primary_key
        and not f.is_relation
        and not isinstance(f, models.UUIDField)
    ]
    assert unique == [], "a column unique per instance needs a fresh value on import"


# --- round trip ------------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def small_org(org: Organisation, owner: User, member: Any, media: Path) -> Organisation:
    """A project with a summary task, two linked subtasks, a risk on a task, a comment, an
    attached file, a team with a member."""
    colleague = member(org, Role.MEMBER, full_name="Carl Colleague", email="carl@example.com")
    team = Team.objects.create(organisation=org, name="Press crew", lead=colleague)
    team.members.set([owner, colleague])
    project = project_services.create_project(
        actor=owner, organisation=org, name="Press line upgrade", code="PLU"
    )
    summary, _ = project_services.create_task(actor=owner, project=project, name="Install")
    a, _ = project_services.create_task(actor=owner, project=project, name="Design", parent=summary)
    b, _ = project_services.create_task(actor=owner, project=project, name="Build", parent=summary)
    project_services.add_link(actor=owner, project=project, pred=a, succ=b)
    risk_services.create_risk(actor=owner, project=project, tasks=[b], title="Late steel")
    comment_services.add_comment(actor=owner, target=b, body="Steel ordered @carl@example.com")
    attachment_services.upload(
        actor=owner, target=a, file=SimpleUploadedFile("drawing.pdf", b"%PDF-1.4 press line")
    )
    return org


def rows_of(organisation: Organisation) -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.filter(**{path: organisation}).count()
        for model, path in exported_models()
    }


def test_a_round_trip_recreates_every_row_and_file_with_new_ids(
    small_org: Organisation, owner: User, make_user: Any, media: Path, client: Any
) -> None:
    archive = export_bytes(small_org)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    before = rows_of(small_org)
    assert manifest["counts"] == before
    assert before["projects.Task"] == 3 and before["projects.Link"] == 1
    assert manifest["kind"] == "twofold-organisation" and len(manifest["files"]) == 2
    # Carl's address changed here since: the import creates him anew, without a password.
    User.objects.filter(email="carl@example.com").update(
        email="carl@elsewhere.example", username="carl@elsewhere.example"
    )
    importer = make_user(email="ines@example.com", full_name="Ines Importer")

    result = import_organisation(actor=importer, source=io.BytesIO(archive), name="Press copy")

    new = result.organisation
    assert new.pk != small_org.pk and new.name == "Press copy" and new.slug != small_org.slug
    after = rows_of(new)
    # The import adds the importer's membership and its own history entry; the archive's
    # people — the owner, whose account existed here, and Carl, made anew — are invited
    # instead of added (they join when they accept), alike: the importer cannot tell which
    # addresses had an account here.
    assert before["accounts.Membership"] == 2 and after["accounts.Membership"] == 1
    assert after["core.HistoryEntry"] == before["core.HistoryEntry"] + 1
    # ... and, only invited, they are in none of its teams yet.
    assert (before["accounts.Team_members"], after["accounts.Team_members"]) == (2, 0)
    changed = {"accounts.Membership", "core.HistoryEntry", "accounts.Team_members"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert (result.people_matched, result.people_invited, result.people_created) == (1, 2, 1)
    roles = dict(Membership.objects.filter(organisation=new).values_list("user__email", "role"))
    assert roles == {"ines@example.com": "owner"}
    from twofold.accounts.models import Invitation

    invited = {
        i.user.email: (i.role, i.invited_by, i.label)
        for i in Invitation.objects.filter(organisation=new)
    }
    assert invited == {
        owner.email: ("owner", importer, owner.full_name),  # the archive's name for them
        "carl@example.com": ("member", importer, "Carl Colleague"),
    }
    carl = User.objects.get(email="carl@example.com")
    assert carl.is_active and not carl.has_usable_password()
    # No name of its own: the archive's is the invitation's until Carl accepts (an archive could
    # otherwise name an address for good before its owner ever signed in; until 2026-12-06).
    assert carl.full_name == ""
    # No password yet: "Forgot your password?" lets them choose one (until 2026-12-05 they
    # were created inactive, and no page could ever let them in).
    from django.core import mail

    mail.outbox.clear()
    asked = client.post("/accounts/password/reset/", {"email": "Carl@Example.com"})
    assert asked.status_code == 302
    assert [m.to for m in mail.outbox] == [["carl@example.com"]]

    tasks = {t.name: t for t in Task.objects.filter(organisation=new)}
    old_ids = set(Task.objects.filter(organisation=small_org).values_list("pk", flat=True))
    assert not {t.pk for t in tasks.values()} & old_ids
    assert tasks["Design"].parent_id == tasks["Install"].pk
    assert tasks["Build"].parent_id == tasks["Install"].pk
    link = Link.objects.get(organisation=new)
    assert (link.pred_id, link.succ_id) == (tasks["Design"].pk, tasks["Build"].pk)
    risk = Risk.objects.get(organisation=new)
    assert list(risk.tasks.values_list("pk", flat=True)) == [tasks["Build"].pk]
    assert risk.project_id == tasks["Build"].project_id
    comment = Comment.objects.get(organisation=new)
    assert (comment.target_kind, comment.target_id) == ("task", tasks["Build"].pk)
    team = Team.objects.get(organisation=new)
    assert team.lead is None and not team.members.exists()  # until Carl accepts
    from twofold.accounts.services import accept_invitation

    accept_invitation(actor=carl, invitation=Invitation.objects.get(user=carl))
    carl.refresh_from_db()
    assert carl.full_name == "Carl Colleague"  # the invitation's name, taken on accepting
    team.refresh_from_db()
    assert team.lead == carl and set(team.members.all()) == {carl}
    joined = HistoryEntry.objects.get(
        organisation=new, content_type__model="team", object_id=team.pk, action="updated"
    )
    assert joined.changes == {"members": [None, "Carl Colleague"], "lead": [None, "Carl Colleague"]}
    history = HistoryEntry.objects.filter(organisation=new, content_type__model="task")
    assert set(history.values_list("object_id", flat=True)) == {t.pk for t in tasks.values()}

    old_file = Attachment.objects.get(organisation=small_org)
    new_file = Attachment.objects.get(organisation=new)
    assert new_file.target_id == tasks["Design"].pk and new_file.file.name != old_file.file.name
    digest = hashlib.sha256(Path(new_file.file.path).read_bytes()).hexdigest()
    assert digest == hashlib.sha256(Path(old_file.file.path).read_bytes()).hexdigest()


def _people_named(organisation: Organisation) -> set[int]:
    """Every account a row of ``organisation`` names, through any foreign key to users."""
    named: set[int] = set()
    for model, path in exported_models():
        for column in model._meta.concrete_fields:
            if column.is_relation and column.related_model is User:
                named.update(
                    model._base_manager.filter(**{path: organisation})
                    .exclude(**{column.attname: None})
                    .values_list(column.attname, flat=True)
                )
    return named


def test_an_import_names_people_only_as_the_archive_does_until_they_accept(
    small_org: Organisation, owner: User, make_user: Any, media: Path
) -> None:
    """Anyone may import an archive they wrote: the rows it names people in must show neither
    whether an address has an account here nor the account's own name (until 2026-12-06 a
    matched account was linked at once: its name, title and capacity showed on the project)."""
    from twofold.accounts.models import STAND_IN_DOMAIN, Invitation, StandIn
    from twofold.accounts.services import (
        accept_invitation,
        add_member,
        decline_invitation,
        delete_organisation,
    )
    from twofold.projects.models import Project

    carl = User.objects.get(email="carl@example.com")
    Task.objects.filter(organisation=small_org, name="Build").update(assignee=carl)
    Project.objects.filter(organisation=small_org).update(manager=owner, sponsor=carl)
    archive = export_bytes(small_org)
    archived_name = owner.full_name
    # Here, the owner's account has another name and title than the archive gives; Carl's
    # address has no account any more.
    User.objects.filter(pk=owner.pk).update(full_name="Olga Renamed", job_title="Secret")
    User.objects.filter(pk=carl.pk).update(email="carl@elsewhere.example", username="carl@x")
    importer = make_user(email="ines@example.com", full_name="Ines Importer")

    result = import_organisation(actor=importer, source=io.BytesIO(archive), name="Copy")

    new = result.organisation
    stand_ins = dict(StandIn.objects.filter(organisation=new).values_list("user_id", "email"))
    assert sorted(stand_ins.values()) == ["carl@example.com", owner.email]
    # No row names an account of this instance but the importer's: the existing address and
    # the new one look alike, both named as the archive names them.
    assert _people_named(new) - {importer.pk} == set(stand_ins)
    for person in User.objects.filter(pk__in=stand_ins):
        assert not person.is_active and not person.has_usable_password()
        assert person.email.endswith("@" + STAND_IN_DOMAIN)
    project = Project.objects.get(organisation=new)
    assert project.manager is not None and project.sponsor is not None
    assert (project.manager.display_name, project.manager.job_title) == (archived_name, "")
    assert project.sponsor.display_name == "Carl Colleague"
    build = Task.objects.get(organisation=new, name="Build")
    assert build.assignee_id == project.sponsor_id

    # The owner accepts: every row naming their stand-in names them (the stand-in stays,
    # named by nothing but history written since, which reads its name by id).
    invitation = Invitation.objects.get(organisation=new, user=owner)
    before = invitation.stand_in_id
    assert before == project.manager_id
    accept_invitation(actor=owner, invitation=invitation)
    project.refresh_from_db()
    assert project.manager_id == owner.pk
    assert User.objects.filter(pk=before, is_active=False).exists()
    assert owner.pk in _people_named(new) and before not in _people_named(new)
    accepted = HistoryEntry.objects.get(organisation=new, action="member added")
    assert accepted.summary.endswith(f"imported records under “{archived_name}” now name them)")
    # Carl (his address now a fresh account without a password) declines: his rows keep the
    # stand-in, named as the organisation knew him.
    fresh = User.objects.get(email="carl@example.com")
    assert not fresh.has_usable_password() and fresh.full_name == ""  # named by the invitation
    decline_invitation(actor=fresh, invitation=Invitation.objects.get(organisation=new, user=fresh))
    build.refresh_from_db()
    assert build.assignee_id == project.sponsor_id and build.assignee_id != fresh.pk
    # An import's stand-in cannot be invited anywhere ...
    with pytest.raises(Invalid, match="valid e-mail"):
        add_member(actor=owner, organisation=small_org, email=build.assignee.email)
    # ... and deleting the organisation takes its stand-ins with it, and nobody else.
    users = User.objects.count()
    delete_organisation(actor=importer, organisation=new, confirm_name=new.name)
    assert not User.objects.filter(pk__in=stand_ins).exists()
    assert User.objects.count() == users - 2


def test_a_failure_half_way_creates_nothing_and_removes_stored_files(
    small_org: Organisation, make_user: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = export_bytes(small_org)
    importer = make_user()
    files_before = sorted(p for p in media.rglob("*") if p.is_file())
    orgs_before = Organisation.objects.count()
    users_before = User.objects.count()
    real = org_archive._insert

    def failing(model: Any, objects: list[Any]) -> list[Any]:
        if model._meta.label == "core.HistoryEntry":  # after the attachments were stored
            raise Invalid("disk full", field="file")
        return real(model, objects)

    monkeypatch.setattr(org_archive, "_insert", failing)
    with pytest.raises(Invalid, match="disk full"):
        import_organisation(actor=importer, source=io.BytesIO(archive))
    assert Organisation.objects.count() == orgs_before
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files_before
    assert User.objects.count() == users_before


# --- unsafe and damaged archives -------------------------------------------------------------


def _zip(entries: dict[str, bytes], *, link: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in entries.items():
            info = zipfile.ZipInfo(name)
            if name == link:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _valid_entries(small_org: Organisation) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export_bytes(small_org))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _duplicate(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
        zf.writestr("manifest.json", entries["manifest.json"])
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("parent", "'..'"),
        ("absolute", "absolute path"),
        ("drive", "absolute path"),
        ("backslash", "backslash"),
        ("symlink", "symbolic link"),
        ("duplicate", "appears twice"),
        ("bomb", "zip bomb"),
        ("not a zip", "not a readable ZIP"),
        ("backup", "not an organisation export"),
        ("damaged", "does not match its checksum"),
        ("unlisted", "not listed in the manifest"),
        ("unknown model", "does not know"),
    ],
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_unsafe_or_damaged_archives_are_refused_with_nothing_created(
    org: Organisation, owner: User, make_user: Any, media: Path, case: str, message: str
) -> None:
    entries = _valid_entries(org)
    manifest = json.loads(entries["manifest.json"])
    data = entries["organisation.json"]
    if case == "parent":
        archive = _zip({**entries, "files/../../etc/cron.d/x": b"x"})
    elif case == "absolute":
        archive = _zip({**entries, "/etc/passwd": b"x"})
    elif case == "drive":
        archive = _zip({**entries, "C:/windows/x": b"x"})
    elif case == "backslash":
        archive = _zip({**entries, "files\\..\\x": b"x"})
    elif case == "symlink":
        archive = _zip({**entries, "files/link": b"/etc/passwd"}, link="files/link")
    elif case == "duplicate":
        archive = _duplicate(entries)
    elif case == "bomb":
        archive = _zip({**entries, "files/zeros": bytes(8 * 1024 * 1024)})
    elif case == "not a zip":
        archive = b"PK\x03\x04 but not really"
    elif case == "backup":
        archive = _zip({"manifest.json": json.dumps({"format": 1, "vendor": "sqlite"}).encode()})
    elif case == "damaged":
        archive = _zip({**entries, "organisation.json": data.replace(b"Acme", b"Acne")})
    elif case == "unlisted":
        archive = _zip({**entries, "files/extra.txt": b"hello"})
    else:
        doc = json.loads(data)
        doc["rows"]["future.Thing"] = {"columns": ["id"], "values": []}
        payload = json.dumps(doc).encode()
        manifest["files"]["organisation.json"] = {
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        archive = _zip(
            {
                **entries,
                "organisation.json": payload,
                "manifest.json": json.dumps(manifest).encode(),
            }
        )
    orgs, users = Organisation.objects.count(), User.objects.count()
    files = sorted(p for p in media.rglob("*") if p.is_file())
    with pytest.raises(Invalid, match=message) as caught:
        import_organisation(actor=make_user(), source=io.BytesIO(archive))
    assert caught.value.field == "file"
    assert Organisation.objects.count() == orgs and User.objects.count() == users + 1
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files


def test_an_archive_above_the_size_cap_is_refused(
    org: Organisation, owner: User, make_user: Any
) -> None:
    archive = export_bytes(org)
    with pytest.raises(Invalid, match="more than the limit of 1000"):
        import_organisation(actor=make_user(), source=io.BytesIO(archive), max_bytes=1000)


def test_only_owners_may_export(org: Organisation, owner: User, member: Any) -> None:
    org_archive.require_export(owner, org)
    with pytest.raises(Forbidden):
        org_archive.require_export(member(org, Role.ADMIN), org)


def test_default_storage_is_the_media_root(media: Path) -> None:
    assert Path(default_storage.path("x")).parent == media


def test_the_commands_export_and_import_an_organisation(
    org: Organisation, owner: User, make_user: Any, media: Path, tmp_path: Path
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    archive = tmp_path / "acme.zip"
    out = io.StringIO()
    call_command("export_organisation", org.slug, str(archive), stdout=out)
    assert "Exported Acme Engineering" in out.getvalue() and archive.is_file()
    importer = make_user(email="ines@example.com")
    out = io.StringIO()
    call_command(
        "import_organisation", str(archive), owner="INES@example.com", name="Acme 2", stdout=out
    )
    assert "Imported Acme 2" in out.getvalue()
    assert Membership.objects.get(organisation__name="Acme 2", user=importer).role == Role.OWNER
    with pytest.raises(CommandError, match="No user"):
        call_command("import_organisation", str(archive), owner="nobody@example.com")


# --- ids of rows the archive does not hold ---------------------------------------------------


def _with_data(entries: dict[str, bytes], change: Any) -> bytes:
    """The archive of ``entries`` with ``change(doc)`` applied to its organisation.json (the
    manifest's size, checksum and counts kept true)."""
    doc = json.loads(entries["organisation.json"])
    change(doc)
    payload = json.dumps(doc).encode()
    manifest = json.loads(entries["manifest.json"])
    manifest["files"]["organisation.json"] = {
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    manifest["counts"] = {label: len(t["values"]) for label, t in doc["rows"].items()}
    return _zip(
        {**entries, "organisation.json": payload, "manifest.json": json.dumps(manifest).encode()}
    )


def test_history_about_the_organisation_goes_to_the_new_one_and_foreign_ids_are_never_kept(
    org: Organisation, owner: User, make_user: Any, media: Path
) -> None:
    from django.contrib.contenttypes.models import ContentType

    from twofold.core import history
    from twofold.interchange.webhooks.models import WebhookEndpoint

    history.record(actor=owner, obj=org, action="created", summary="Organisation set up")
    webhook_type = ContentType.objects.get_for_model(WebhookEndpoint)

    def inject(doc: dict[str, Any]) -> None:
        # A hostile (or older) archive: an entry about a webhook endpoint, not exported.
        doc["content_types"][str(webhook_type.pk)] = "interchange.WebhookEndpoint"
        table = doc["rows"]["core.HistoryEntry"]
        row = list(table["values"][0])
        columns = table["columns"]
        row[0] = 99_999
        row[columns.index("content_type_id")] = webhook_type.pk
        row[columns.index("object_id")] = org.pk
        row[columns.index("summary")] = "INJECTED"
        table["values"].append(row)

    archive = _with_data(_valid_entries(org), inject)

    new = import_organisation(actor=make_user(), source=io.BytesIO(archive)).organisation

    org_type = ContentType.objects.get_for_model(Organisation)
    about_new = HistoryEntry.objects.filter(organisation=new, content_type=org_type)
    assert sorted(about_new.values_list("object_id", "summary")) == [
        (new.pk, "Imported Acme Engineering from an organisation export (2 rows, 0 files)"),
        (new.pk, "Organisation set up"),
    ]
    assert not HistoryEntry.objects.filter(organisation=new, summary="INJECTED").exists()
    assert not HistoryEntry.objects.filter(organisation=new, object_id=org.pk).exists()
    assert [e.summary for e in history.history_for(org, viewer=None)] == ["Organisation set up"]
    assert [e.organisation_id for e in history.history_for(new, viewer=None)] == [new.pk, new.pk]


def test_ids_inside_history_changes_are_remapped_and_never_name_this_instances_rows(
    small_org: Organisation, owner: User, make_user: Any, make_org: Any, media: Path
) -> None:
    """History shows the name of each object a change names, read by its id: an id copied as
    it was named whatever row of this instance had it. A written-for-the-purpose archive read
    any account's name (or address) and another organisation's task names through it."""
    from twofold.core import history

    victim = make_user(email="victor@elsewhere.example", full_name="Victor Secret")
    rival = make_org("Rival Ltd")
    Membership.objects.create(organisation=rival, user=victim, role=Role.OWNER)
    rival_project = project_services.create_project(
        actor=victim, organisation=rival, name="Rival plan", code="RIV"
    )
    secret, _ = project_services.create_task(
        actor=victim, project=rival_project, name="Secret merger"
    )
    build = Task.objects.get(organisation=small_org, name="Build")
    design = Task.objects.get(organisation=small_org, name="Design")
    history.record(
        actor=owner,
        obj=build,
        action="updated",
        changes={"assignee": [owner.pk, victim.pk], "parent": [design.pk, secret.pk]},
    )
    importer = make_user(email="ines@example.com", full_name="Ines Importer")

    new = import_organisation(
        actor=importer, source=io.BytesIO(export_bytes(small_org))
    ).organisation

    copy = Task.objects.get(organisation=new, name="Build")
    entry = HistoryEntry.objects.get(organisation=new, object_id=copy.pk, changes__has_key="parent")
    from twofold.accounts.models import StandIn

    owners_stand_in = StandIn.objects.get(organisation=new, email=owner.email).user_id
    # The owner named in the archive is their stand-in here; Design is the new Design; the
    # ids the archive holds no row for are emptied.
    assert entry.changes == {
        "assignee": [owners_stand_in, None],
        "parent": [Task.objects.get(organisation=new, name="Design").pk, None],
    }
    shown = " ".join(
        f"{c.before} {c.after}"
        for e in history.name_references([entry])
        for c in history.readable_changes(e)
    )
    assert "Victor" not in shown and "Secret merger" not in shown and "victor@" not in shown
    # Even an entry that names another organisation's row (written here by nobody but an
    # archive before this change) shows no name for it.
    leaked = HistoryEntry.objects.create(
        organisation=new,
        content_type=entry.content_type,
        object_id=copy.pk,
        action="updated",
        changes={"parent": [None, secret.pk]},
    )
    shown = [c.after for c in history.readable_changes(history.name_references([leaked])[0])]
    assert shown == [f"#{secret.pk} (deleted)"]


def test_the_history_panel_shows_only_its_organisations_entries(
    org: Organisation, owner: User, make_org: Any
) -> None:
    from django.contrib.contenttypes.models import ContentType

    from twofold.core import history

    history.record(actor=owner, obj=org, action="created", summary="Organisation set up")
    rival = make_org("Rival Ltd")
    HistoryEntry.objects.create(
        organisation=rival,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=org.pk,
        object_repr="Acme",
        action="updated",
        summary="Rival's entry naming Acme's id",
    )
    assert [e.summary for e in history.history_for(org, viewer=None)] == ["Organisation set up"]


# --- malformed archives answer 422, never 500 ------------------------------------------------


def _rebuilt(
    entries: dict[str, bytes], change: Any, files: dict[str, bytes] | None = None
) -> bytes:
    """As :func:`_with_data`, with the uploaded files replaced by ``files`` when given."""
    if files is not None:
        entries = {k: v for k, v in entries.items() if not k.startswith("files/")}
        manifest = json.loads(entries["manifest.json"])
        manifest["files"] = {
            name: {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            for name, body in files.items()
        }
        entries = {**entries, **files, "manifest.json": json.dumps(manifest).encode()}
    return _with_data(entries, change)


def _set_first(label: str, column: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        table = doc["rows"][label]
        table["values"][0][table["columns"].index(column)] = value

    return change


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("content type key", "content types in the archive are damaged"),
        ("content type label", "content types in the archive are damaged"),
        ("huge number", "A row of the archive could not be stored"),
        ("time zone", "Unknown time zone 'Mars/Base'"),
        ("person's time zone", "Unknown time zone 'Mars/Base'"),
        ("absolute file name", "names a file '/srv/x' that cannot be stored"),
    ],
)
def test_a_malformed_archive_is_refused_naming_the_problem(
    small_org: Organisation, make_user: Any, media: Path, case: str, message: str
) -> None:
    entries = _valid_entries(small_org)
    if case == "content type key":
        archive = _rebuilt(entries, lambda d: d["content_types"].update({"abc": "projects.Task"}))
    elif case == "content type label":
        archive = _rebuilt(entries, lambda d: d["content_types"].update({"5": 5}))
    elif case == "huge number":
        archive = _rebuilt(entries, _set_first("projects.Task", "duration_minutes", 2**70))
    elif case == "time zone":
        archive = _rebuilt(entries, lambda d: d["organisation"].update(timezone="Mars/Base"))
    elif case == "person's time zone":
        User.objects.filter(email="carl@example.com").update(
            email="carl@elsewhere.example", username="carl@elsewhere.example"
        )  # created by the import, with the archive's time zone

        def zone(doc: dict[str, Any]) -> None:
            for person in doc["people"]:
                person["timezone"] = "Mars/Base"

        archive = _rebuilt(entries, zone)
    else:
        (attached,) = [n for n in entries if n.startswith("files/attachments")]
        body = entries[attached]
        archive = _rebuilt(
            entries,
            _set_first("attachments.Attachment", "file", "/srv/x"),
            files={"files//srv/x": body},
        )
    orgs, users = Organisation.objects.count(), User.objects.count()
    files = sorted(p for p in media.rglob("*") if p.is_file())
    with pytest.raises(Invalid, match=message) as caught:
        import_organisation(actor=make_user(), source=io.BytesIO(archive))
    assert caught.value.field == "file"
    assert Organisation.objects.count() == orgs and User.objects.count() == users + 1
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files


def test_the_api_refuses_an_archive_naming_an_absolute_file_with_json(
    small_org: Organisation, owner: User, client: Any, api_token: Any, media: Path
) -> None:
    entries = _valid_entries(small_org)
    (attached,) = [n for n in entries if n.startswith("files/attachments")]
    archive = _rebuilt(
        entries,
        _set_first("attachments.Attachment", "file", "/srv/x"),
        files={"files//srv/x": entries[attached]},
    )
    response = client.post(
        "/api/organisation-imports",
        {"file": SimpleUploadedFile("o.zip", archive)},
        HTTP_AUTHORIZATION=f"Bearer {api_token(owner)}",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert response.json()["detail"] == ("The archive names a file '/srv/x' that cannot be stored.")


def test_the_ids_an_import_shows_do_not_tell_whether_an_address_had_an_account(
    small_org: Organisation, owner: User, make_user: Any, media: Path
) -> None:
    """The importer sees its stand-ins' ids (a task's ``assignee_id``). An import made an
    account only for each new address, so the ids of the next import's stand-ins moved on by
    one more for every address that had none."""
    from twofold.accounts.models import StandIn

    archive = export_bytes(small_org)
    importer = make_user(email="ines@example.com", full_name="Ines Importer")

    def stand_in_ids() -> list[int]:
        new = import_organisation(actor=importer, source=io.BytesIO(archive)).organisation
        return sorted(StandIn.objects.filter(organisation=new).values_list("user_id", flat=True))

    first, second = stand_in_ids(), stand_in_ids()  # Carl's address has an account
    User.objects.filter(email="carl@example.com").update(
        email="carl@elsewhere.example", username="carl@elsewhere.example"
    )
    third, fourth = stand_in_ids(), stand_in_ids()  # the third import makes his account anew
    assert len(first) == len(third) == 2
    assert second[0] - first[-1] == fourth[0] - third[-1]


def test_a_stand_in_address_cannot_sign_up() -> None:
    from twofold.accounts.models import STAND_IN_DOMAIN
    from twofold.accounts.services import check_new_person

    with pytest.raises(Invalid, match="valid e-mail"):
        check_new_person(f"abc@{STAND_IN_DOMAIN}", "a long enough password 42", "Mallory")
