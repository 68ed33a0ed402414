"""Microsoft Project files in the app: preview (with the importer's repairs and both dates),
create a project, update it from a changed file (matched by GUID/UID), export it again; bad
files refused with nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from twofold.accounts.models import Role
from twofold.calendars.models import Calendar
from twofold.core.errors import Forbidden, Invalid
from twofold.engine.cpm import schedule
from twofold.interchange import mspdi_export, mspdi_import
from twofold.interchange.models import ImportedProject, MspdiUpload, UploadStatus
from twofold.interop.mspdi import read_mspdi
from twofold.interop.mspdi_check import check_file
from twofold.projects.models import Assignment, Link, Project, Task

pytestmark = pytest.mark.django_db

_HERE = Path(__file__).resolve()
# ../shared beside the checkout (a worktree sits one level deeper: ../../shared).
DATA = (
    next(
        (p for p in (_HERE.parents[3] / "shared", _HERE.parents[4] / "shared") if p.is_dir()),
        _HERE.parents[3] / "shared",
    )
    / "data"
    / "mspdi"
)
NS = "http://schemas.microsoft.com/project"
SAMPLE = (
    "sample.xml",
    "mspdirelations.xml",
    "calendar-recurring-exceptions-project2016-mspdi.xml",
    "caltest.xml",
    "mspdiduration.xml",
)


def _task(uid: int, name: str, hours: int, *, level: int = 1, preds: str = "") -> str:
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT{hours}H0M0S</Duration><DurationFormat>7</DurationFormat>{preds}</Task>"
    )


def _link(pred: int, lag_tenths: int = 0) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{pred}</PredecessorUID><Type>1</Type>"
        f"<LinkLag>{lag_tenths}</LinkLag><LagFormat>7</LagFormat></PredecessorLink>"
    )


CALENDAR = (
    "<Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>"
    "<WeekDays>"
    + "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>{1 if 1 < d < 7 else 0}</DayWorking>"
        + (
            "<WorkingTimes><WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime>"
            "</WorkingTime><WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime>"
            "</WorkingTime></WorkingTimes>"
            if 1 < d < 7
            else ""
        )
        + "</WeekDay>"
        for d in range(1, 8)
    )
    + "</WeekDays></Calendar></Calendars>"
)


def mspdi(
    tasks: str, *, guid: str = "6F0C2A1B-0000-4000-8000-000000000001", extra: str = ""
) -> bytes:
    return (
        f'<?xml version="1.0"?><Project xmlns="{NS}"><Name>Line 4</Name><GUID>{guid}</GUID>'
        f"<StartDate>2026-03-02T08:00:00</StartDate><CalendarUID>1</CalendarUID>{CALENDAR}"
        f"<Tasks>{tasks}</Tasks>{extra}</Project>"
    ).encode()


RESOURCES = (
    "<Resources><Resource><UID>1</UID><Name>Ana Weld</Name><Type>1</Type></Resource>"
    "<Resource><UID>2</UID><Name>Bo</Name><Type>1</Type><EmailAddress>bo@example.com</EmailAddress>"
    "</Resource></Resources><Assignments><Assignment><UID>1</UID><TaskUID>2</TaskUID>"
    "<ResourceUID>1</ResourceUID><Units>1</Units></Assignment></Assignments>"
)

PLAN = mspdi(
    _task(1, "Build", 0, level=1).replace("<Duration>PT0H0M0S</Duration>", "<Summary>1</Summary>")
    + _task(2, "Dig", 16, level=2)
    + _task(3, "Pour", 8, level=2, preds=_link(2, 4800))
    + _task(4, "Done", 0, level=1, preds=_link(3)),
    extra=RESOURCES,
)


@pytest.fixture
def admin(org: Any, owner: Any) -> Any:
    return owner


def _upload(org: Any, actor: Any, data: bytes = PLAN, name: str = "line4.xml") -> MspdiUpload:
    return mspdi_import.upload_mspdi(actor=actor, organisation=org, file_name=name, data=data)


def test_preview_lists_tasks_links_resources_and_dates(org: Any, owner: Any, member: Any) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    bo = member(org, Role.MEMBER, full_name="Robert", email="bo@example.com")
    upload = _upload(org, owner)
    preview = upload.preview
    assert upload.status == UploadStatus.READY
    assert preview["counts"] | {} == preview["counts"]
    assert preview["counts"]["tasks"] == 4
    assert preview["counts"]["links"] == 2
    assert preview["counts"]["summaries"] == 1
    assert preview["counts"]["milestones"] == 1
    assert preview["counts"]["differ"] == 0
    assert [r["member"] for r in preview["resources"]] == [ana.pk, bo.pk]
    dig, pour = preview["tasks"][1], preview["tasks"][2]
    assert (dig["start"], dig["finish"]) == ("2026-03-02T08:00", "2026-03-03T17:00")
    # FS + 1 day (4800 tenths of a minute): Pour starts Thursday.
    assert (pour["start"], pour["finish"]) == ("2026-03-05T08:00", "2026-03-05T17:00")
    assert pour["file_start"] == pour["start"]
    assert Project.objects.count() == 0


def test_import_creates_project_with_file_dates_and_people(
    org: Any, owner: Any, member: Any
) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    upload = _upload(org, owner)
    project = mspdi_import.apply_upload(
        actor=owner, upload=upload, mode="new", code="L4", resource_map={1: ana.pk, 2: None}
    )
    assert project is not None
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert tasks["Dig"].parent == tasks["Build"] and tasks["Build"].is_summary
    assert tasks["Pour"].start.replace(tzinfo=None) == dt.datetime(2026, 3, 5, 8)
    assert tasks["Done"].is_milestone
    assert Link.objects.filter(project=project).count() == 2
    assert tasks["Dig"].assignee == ana
    assert Assignment.objects.get(task=tasks["Dig"]).person == ana
    assert project.calendar is not None and project.calendar.hours["0"] == [
        ["08:00", "12:00"],
        ["13:00", "17:00"],
    ]
    source = ImportedProject.objects.get(project=project)
    assert source.guid == "6F0C2A1B-0000-4000-8000-000000000001"
    assert set(source.uid_map) == {"1", "2", "3", "4"}
    upload.refresh_from_db()
    assert upload.status == UploadStatus.IMPORTED and upload.project == project


def test_second_upload_of_same_file_shows_changes_then_updates(org: Any, owner: Any) -> None:
    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    changed = mspdi(
        _task(1, "Build", 0, level=1).replace(
            "<Duration>PT0H0M0S</Duration>", "<Summary>1</Summary>"
        )
        + _task(2, "Dig deeper", 24, level=2)
        + _task(5, "Cure", 8, level=2, preds=_link(2))
        + _task(4, "Done", 0, level=1, preds=_link(5))
    )
    upload = _upload(org, owner, changed)
    changes = upload.preview["changes"]
    assert upload.preview["matched_project"]["id"] == project.pk
    assert changes["added"] == ["Cure"] and changes["removed"] == ["Pour"]
    assert changes["changed"][0]["name"] == "Dig deeper"
    assert ["duration_minutes", "960", "1440"] in changes["changed"][0]["fields"]
    dig_id = ImportedProject.objects.get(project=project).uid_map["2"]
    mspdi_import.apply_upload(actor=owner, upload=upload, mode="update")
    names = set(Task.objects.filter(project=project).values_list("name", flat=True))
    assert names == {"Build", "Dig deeper", "Cure", "Done"}
    dig = Task.objects.get(pk=dig_id)  # the same row, updated
    assert dig.duration_minutes == 1440
    assert Task.objects.get(project=project, name="Done").start.replace(tzinfo=None) == dt.datetime(
        2026, 3, 5, 17
    )
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not xml at all", "not a Microsoft Project XML file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Project xmlns="'
            + NS.encode()
            + b'">&a;</Project>',
            "DTD or entities",
        ),
        (
            mspdi(_task(1, "A", 8, preds=_link(2)) + _task(2, "B", 8, preds=_link(1))),
            "dependency cycle: “A” (UID 1) → “B” (UID 2) → “A” (UID 1)",
        ),
        (
            mspdi(_task(1, "A", 8)).replace(b"2026-03-02T08:00:00", b"2300-03-02T08:00:00"),
            "outside the years the calendar covers",
        ),
        (
            mspdi(
                "".join(_task(i, f"T{i}", 8) for i in range(1, 602))
                + _task(999, "Hub", 8, preds="".join(_link(i) for i in range(1, 602)))
            ),
            "Task 999 “Hub” has 601 predecessors",
        ),
    ],
)
def test_bad_files_are_refused_before_anything_is_written(
    org: Any, owner: Any, data: bytes, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        _upload(org, owner, data)
    assert message in caught.value.message
    assert caught.value.field == "file"
    assert MspdiUpload.objects.count() == 0 and Project.objects.count() == 0


def test_oversized_file_is_refused_by_size(org: Any, owner: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(mspdi_import, "MAX_BYTES", 1000)
    with pytest.raises(Invalid, match="larger than"):
        _upload(org, owner, b" " * 1001)


def test_failure_midway_leaves_nothing(org: Any, owner: Any, monkeypatch: Any) -> None:
    upload = _upload(org, owner)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise Invalid("Task 3 “Pour”: refused", field="file")

    monkeypatch.setattr(mspdi_import, "_replace_links_and_people", boom)
    calendars = Calendar.objects.count()
    with pytest.raises(Invalid, match="Pour"):
        mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", code="L4")
    assert Project.objects.count() == 0 and Task.objects.count() == 0
    assert Calendar.objects.count() == calendars
    upload.refresh_from_db()
    assert upload.status == UploadStatus.READY


def test_cancelled_import_writes_nothing(org: Any, owner: Any) -> None:
    upload = _upload(org, owner)
    calls = []

    def progress(fraction: float, message: str = "") -> bool:
        calls.append(message)
        return len(calls) < 3

    assert (
        mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", progress=progress) is None
    )
    assert Project.objects.count() == 0 and Task.objects.count() == 0


def test_members_cannot_import_and_strangers_cannot_be_assigned(
    org: Any, owner: Any, member: Any, outsider: Any
) -> None:
    person = member(org, Role.MEMBER)
    with pytest.raises(Forbidden):
        _upload(org, person)
    upload = _upload(org, owner)
    with pytest.raises(Invalid, match="choose a member"):
        mspdi_import.apply_upload(
            actor=owner, upload=upload, mode="new", resource_map={1: outsider.pk}
        )
    assert Project.objects.count() == 0


def test_export_reimports_with_equal_dates(org: Any, owner: Any, member: Any) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4", resource_map={1: ana.pk}
    )
    assert project is not None
    document = read_mspdi(mspdi_export.export_mspdi(project))
    _assert_same_dates(project, document)
    assert document.guid == "6F0C2A1B-0000-4000-8000-000000000001"
    assert [r.email for r in document.resources] == [ana.email]


def test_an_export_imported_back_as_an_update_keeps_tasks_added_in_twofold(
    org: Any, owner: Any
) -> None:
    """A task added after the import got a fresh UID in the export that nothing remembered, so
    importing that file back as an update added a copy of it (until 2026-12-05)."""
    from twofold.projects import services as project_services

    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    project_services.create_task(actor=owner, project=project, name="Added in Twofold")
    before = sorted(Task.objects.filter(project=project).values_list("name", flat=True))
    upload = _upload(org, owner, mspdi_export.export_mspdi(project), name="back.xml")
    assert upload.preview["changes"]["counts"]["added"] == 0
    mspdi_import.apply_upload(actor=owner, upload=upload, mode="update")
    assert sorted(Task.objects.filter(project=project).values_list("name", flat=True)) == before


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None)


def _assert_same_dates(project: Project, document: Any) -> None:
    source = ImportedProject.objects.filter(project=project).first()
    result = schedule(document.plan)
    tasks = list(Task.objects.filter(project=project).order_by("position"))
    uid_of = mspdi_export._uids(tasks, source.uid_map if source else {})
    assert len(document.plan.tasks) == len(tasks)
    for task in tasks:
        dates = result.task(uid_of[task.pk])
        assert (dates.start, dates.finish) == (_local(task.start), _local(task.finish)), task.name


def test_shared_files_import_with_mspdi_check_dates_and_export_round_trips(
    org: Any, owner: Any
) -> None:
    if not DATA.is_dir():
        pytest.skip(f"MSPDI files not found at {DATA} (../shared/data/mspdi beside the checkout)")
    # A sample of the shared files (all of them: `twofold mspdi-check`, and the browser test
    # imports another): links of every type, recurring calendar exceptions, task calendars,
    # elapsed durations, resources.
    for path in [DATA / name for name in SAMPLE]:
        upload = _upload(org, owner, path.read_bytes(), path.name)
        report = check_file(path)
        assert report.error is None
        preview = upload.preview
        project = mspdi_import.apply_upload(actor=owner, upload=upload, mode="new")
        assert project is not None, path.name
        same = {row["uid"] for row in preview["tasks"] if row["same"]}
        stored = {
            t.name: (_local(t.start), _local(t.finish))
            for t in Task.objects.filter(project=project)
        }
        for row in preview["tasks"]:
            # What the preview promised is what the project has.
            assert (
                stored[row["name"]]
                == (
                    dt.datetime.fromisoformat(row["start"]),
                    dt.datetime.fromisoformat(row["finish"]),
                )
                or len([r for r in preview["tasks"] if r["name"] == row["name"]]) > 1
            ), path.name
        if preview["counts"]["differ"] == 0:
            assert len(same) == preview["counts"]["tasks"]
        _assert_same_dates(project, read_mspdi(mspdi_export.export_mspdi(project)))


def _plan(size: int) -> bytes:
    """``size`` tasks under one summary, each linked to the previous, each assigned."""
    tasks = _task(1, "Phase", 0, level=1).replace(
        "<Duration>PT0H0M0S</Duration>", "<Summary>1</Summary>"
    ) + "".join(
        _task(uid, f"Step {uid}", 8, level=2, preds=_link(uid - 1) if uid > 2 else "")
        for uid in range(2, size + 2)
    )
    resources = (
        "<Resources><Resource><UID>1</UID><Name>Ana Weld</Name><Type>1</Type></Resource>"
        "</Resources><Assignments>"
        + "".join(
            f"<Assignment><UID>{uid}</UID><TaskUID>{uid}</TaskUID><ResourceUID>1</ResourceUID>"
            "<Units>1</Units></Assignment>"
            for uid in range(2, size + 2)
        )
        + "</Assignments>"
    )
    return mspdi(tasks, extra=resources)


def test_import_queries_do_not_grow_with_the_plan(
    org: Any, owner: Any, member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    counts = []
    # The first import fills per-process caches (content types...): it is not compared.
    for size, code in ((20, "W"), (20, "S"), (60, "L")):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            upload = _upload(org, owner, _plan(size), f"plan{size}.xml")
            project = mspdi_import.apply_upload(
                actor=owner, upload=upload, mode="new", code=code, resource_map={1: ana.pk}
            )
        assert project is not None
        assert Task.objects.filter(project=project).count() == size + 1
        assert Link.objects.filter(project=project).count() == size - 1
        assert Assignment.objects.filter(task__project=project, person=ana).count() == size
        last = Task.objects.get(project=project, name=f"Step {size + 1}")
        assert last.assignee == ana
        # Every day one task: the last starts size - 1 working days after the first.
        assert last.start.date() == dt.date(2026, 3, 2) + dt.timedelta(
            days=(size - 1) // 5 * 7 + (size - 1) % 5
        )
        counts.append(len(queries))
    assert counts[1] == counts[2], counts
    # The tasks are searchable (indexed in bulk after the commit).
    from twofold.search.models import SearchDocument

    assert SearchDocument.objects.filter(kind="task", scope_id=project.pk).count() == 61


def test_the_import_reuses_the_document_the_preview_read(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)  # previewed "by the worker"
    reads: list[int] = []
    real = mspdi_import.read_upload
    monkeypatch.setattr(mspdi_import, "read_upload", lambda data: reads.append(1) or real(data))
    upload = _upload(org, owner)
    assert reads == []
    mspdi_import.preview_upload(upload)
    upload.refresh_from_db()
    project = mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", code="ONE")
    assert reads == [1] and project is not None
    assert [t.name for t in Task.objects.filter(project=project).order_by("position")] == [
        "Build", "Dig", "Pour", "Done",
    ]  # fmt: skip
    assert mspdi_import._last_read is None  # used once, then dropped
    other = _upload(org, owner, name="again.xml")  # the same bytes, another upload: read again
    mspdi_import.preview_upload(other)
    assert reads == [1, 1] and mspdi_import._last_read is not None
    assert mspdi_import._last_read[0][0] == other.pk


def test_odd_files_found_by_a_review_import_with_their_repairs_listed(org: Any, owner: Any) -> None:
    """A manual task on the OLE null date (1899-12-30) made the upload answer 500; tasks
    written at outline level 0 were left out as if each were the project (2026-12-05)."""
    manual = (
        "<Task><UID>3</UID><ID>3</ID><Name>Sign-off</Name><OutlineLevel>1</OutlineLevel>"
        "<Manual>1</Manual><Duration>PT0H0M0S</Duration><Start>1899-12-30T00:00:00</Start>"
        "<Finish>1899-12-30T00:00:00</Finish></Task>"
    )
    data = mspdi(
        _task(1, "Dig", 16, level=0) + _task(2, "Pour", 16, level=0, preds=_link(1)) + manual
    )
    upload = _upload(org, owner, data)
    assert upload.status == UploadStatus.READY
    repairs = "\n".join(str(line) for line in upload.preview["repairs"])
    assert "task UID 1 'Dig' <OutlineLevel>: 0 is the project summary's level: read as 1" in repairs
    assert "outside the years a schedule covers (1980-2149): scheduled automatically" in repairs
    project = mspdi_import.apply_upload(actor=owner, upload=upload, mode="new")
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert set(tasks) == {"Dig", "Pour", "Sign-off"}
    assert tasks["Pour"].start.replace(tzinfo=None) == dt.datetime(2026, 3, 4, 8)


def _imported_with_ana(org: Any, owner: Any, member: Any) -> tuple[Any, ...]:
    """Ana and Priya, and the plan imported with resource 1 as Ana: its Dig and Pour tasks."""
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    priya = member(org, Role.MEMBER, full_name="Priya Raman")
    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4", resource_map={1: ana.pk}
    )
    assert project is not None
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    return ana, priya, project, tasks["Dig"], tasks["Pour"]


def test_an_update_replaces_only_the_people_its_resources_are_mapped_to(
    org: Any, owner: Any, member: Any
) -> None:
    from twofold.core.models import HistoryEntry

    ana, priya, project, dig, pour = _imported_with_ana(org, owner, member)
    Assignment.objects.create(organisation=org, task=pour, person=priya, units=50)
    Task.objects.filter(pk=pour.pk).update(assignee=priya)
    versions = dict(Task.objects.filter(project=project).values_list("pk", "version"))

    # The same file again, no resource mapped (the API's default): it took everyone off every
    # task, bumped no version and recorded nothing ("0 changed").
    mspdi_import.apply_upload(actor=owner, upload=_upload(org, owner), mode="update")
    assert set(Assignment.objects.filter(task__project=project).values_list("task", "person")) == {
        (dig.pk, ana.pk),
        (pour.pk, priya.pk),
    }
    assert Task.objects.get(pk=pour.pk).assignee == priya
    assert dict(Task.objects.filter(project=project).values_list("pk", "version")) == versions

    # Mapped, and Ana no longer on Dig in the file: she leaves it, recorded, with a new version.
    without_ana = PLAN.replace(b"<Assignments>", b"<Assignments><!--").replace(
        b"</Assignments>", b"--></Assignments>"
    )
    mspdi_import.apply_upload(
        actor=owner,
        upload=_upload(org, owner, without_ana),
        mode="update",
        resource_map={1: ana.pk},
    )
    assert not Assignment.objects.filter(task=dig).exists()
    assert Task.objects.get(pk=dig.pk).assignee is None
    assert Task.objects.get(pk=dig.pk).version == versions[dig.pk] + 1
    entry = HistoryEntry.objects.filter(object_id=dig.pk, action="updated").latest("pk")
    assert entry.changes == {"people": ["Ana Weld 100 %", "—"]}
    assert Assignment.objects.get(task=pour).person == priya  # not the file's to remove


def test_an_update_counts_an_assignee_without_a_row_as_the_tasks_person(
    org: Any, owner: Any, member: Any
) -> None:
    from twofold.core.models import HistoryEntry

    ana, priya, _project, dig, pour = _imported_with_ana(org, owner, member)
    # Priya is Pour's assignee in Twofold, without a row; the file now puts Ana on Pour too.
    Task.objects.filter(pk=pour.pk).update(assignee=priya)
    both = PLAN.replace(
        b"</Assignments>",
        b"<Assignment><UID>2</UID><TaskUID>3</TaskUID><ResourceUID>1</ResourceUID>"
        b"<Units>1</Units></Assignment></Assignments>",
    )
    mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner, both), mode="update", resource_map={1: ana.pk}
    )
    # She was silently replaced by Ana; now she keeps a row of her own, first.
    assert Task.objects.get(pk=pour.pk).assignee == priya
    assert list(
        Assignment.objects.filter(task=pour).order_by("position").values_list("person", flat=True)
    ) == [priya.pk, ana.pk]
    # Ana is Dig's assignee without a row, and the file takes her off Dig: she was kept.
    Assignment.objects.filter(task=dig).delete()
    Task.objects.filter(pk=dig.pk).update(assignee=ana)
    version = Task.objects.get(pk=dig.pk).version
    without_ana = both.replace(
        b"<Assignment><UID>1</UID><TaskUID>2</TaskUID><ResourceUID>1</ResourceUID>"
        b"<Units>1</Units></Assignment>",
        b"",
    )
    mspdi_import.apply_upload(
        actor=owner,
        upload=_upload(org, owner, without_ana),
        mode="update",
        resource_map={1: ana.pk},
    )
    dig.refresh_from_db()
    assert (dig.assignee, dig.version) == (None, version + 1)
    entry = HistoryEntry.objects.filter(object_id=dig.pk, action="updated").latest("pk")
    assert entry.changes == {"people": ["Ana Weld", "—"]}


def test_an_assignment_with_more_work_than_a_person_can_hold_imports_without_it(
    org: Any, owner: Any, member: Any
) -> None:
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    # 170,000 h: beyond the 166,666 h (10⁷ minutes) one person's work can hold, within the
    # calendar's years at 100 % (a file with more than 2³¹ minutes was stored, then failed the
    # import on PostgreSQL).
    huge = PLAN.replace(
        b"<Units>1</Units></Assignment>",
        b"<Units>1</Units><Work>PT170000H0M0S</Work></Assignment>",
    )
    upload = _upload(org, owner, huge)
    assert any("170,000 h of work" in note for note in upload.preview["notes"])
    project = mspdi_import.apply_upload(
        actor=owner, upload=upload, mode="new", code="L4", resource_map={1: ana.pk}
    )
    assert project is not None
    row = Assignment.objects.get(task__project=project)
    assert (row.person, row.work_minutes) == (ana, None)


def test_a_task_longer_than_the_app_takes_is_imported_at_its_limit_with_a_note(
    org: Any, owner: Any
) -> None:
    # 5,000 days (PT40000H) was stored as is; the task page (2,000 days at most) could then not
    # save that task again.
    long = PLAN.replace(b"<Duration>PT16H0M0S</Duration>", b"<Duration>PT40000H0M0S</Duration>", 1)
    assert long != PLAN
    upload = _upload(org, owner, long)
    assert any("5,000 days is more than the 2,000 days" in n for n in upload.preview["notes"])
    project = mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", code="L4")
    assert project is not None
    assert Task.objects.get(project=project, name="Dig").duration_minutes == 2000 * 480


@pytest.mark.parametrize("units", ["1e308", "1e400", "-3", "nan"])
def test_assignment_units_out_of_any_range_are_held_in_range(
    org: Any, owner: Any, member: Any, units: str
) -> None:
    """``<Units>1e308</Units>`` overflowed to infinity when turned into a percentage (a 500)."""
    from twofold.projects.models import Assignment

    ana = member(org, Role.MEMBER, full_name="Ana Weld", email="ana@example.com")
    data = mspdi(
        _task(1, "Dig", 8),
        extra="<Resources><Resource><UID>1</UID><Name>Ana Weld</Name><Type>1</Type>"
        "<EmailAddress>ana@example.com</EmailAddress></Resource></Resources><Assignments>"
        "<Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        f"<Units>{units}</Units></Assignment></Assignments>",
    )
    upload = _upload(org, owner, data)
    assert upload.status == UploadStatus.READY
    mspdi_import.apply_upload(actor=owner, upload=upload, mode="new", resource_map={1: ana.pk})
    (row,) = Assignment.objects.filter(person=ana)
    # The reader takes what is not a finite positive share as 100 %; 1e308 is held at 1,000 %.
    assert row.units == {"1e308": 1000, "1e400": 100, "-3": 100, "nan": 100}[units]


def test_an_update_previewed_before_someone_changed_a_task_is_refused(org: Any, owner: Any) -> None:
    """The preview lists what the file changes against the plan as it was; applied after a
    task was edited in Twofold, the file's values overwrote the edit unseen (until
    2026-12-06)."""
    from twofold.core.errors import Conflict
    from twofold.projects import services as project_services

    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    changed = PLAN.replace(b"<Name>Dig</Name>", b"<Name>Dig deeper</Name>")
    upload = _upload(org, owner, changed)
    assert upload.preview["changes"]["counts"]["changed"] == 1
    dig = Task.objects.get(project=project, name="Dig")
    project_services.update_task(
        actor=owner, task=dig, expected_version=dig.version, percent_complete=60
    )
    with pytest.raises(Conflict, match="changed L4's plan"):
        mspdi_import.apply_upload(actor=owner, upload=upload, mode="update")
    dig.refresh_from_db()
    assert (dig.name, dig.percent_complete) == ("Dig", 60)
    fresh = _upload(org, owner, changed)
    mspdi_import.apply_upload(actor=owner, upload=fresh, mode="update")
    dig.refresh_from_db()
    assert dig.name == "Dig deeper"


def test_a_double_submit_of_a_large_import_queues_one_job(
    org: Any, owner: Any, monkeypatch: Any
) -> None:
    """Both requests saw the upload ready and each queued a job: the second ran the whole
    import again before its last write failed. One conditional UPDATE now takes the upload."""
    from twofold.core.errors import Conflict
    from twofold.core.models import Job

    monkeypatch.setattr(mspdi_import, "INLINE_BYTES", 100)
    upload = _upload(org, owner)
    mspdi_import.preview_upload(upload)
    upload.refresh_from_db()
    seen_ready = MspdiUpload.objects.get(pk=upload.pk)  # the second request's read
    params = {"mode": "new", "name": "", "code": ""}
    mspdi_import.queue_import(actor=owner, upload=upload, params=params, resources={})
    with pytest.raises(Conflict, match="being imported already"):
        mspdi_import.queue_import(actor=owner, upload=seen_ready, params=params, resources={})
    assert Job.objects.filter(kind=mspdi_import.IMPORT_JOB).count() == 1
    assert MspdiUpload.objects.get(pk=upload.pk).status == UploadStatus.IMPORTING


def test_an_update_records_the_start_and_the_links_it_replaces_and_moves_the_version(
    org: Any, owner: Any
) -> None:
    """The file's start was written without a version or history (an edit page opened before
    the update put the old start back unseen), and links added in Twofold between the file's
    tasks went without a word (a review found both)."""
    from django.contrib.contenttypes.models import ContentType

    from twofold.core.errors import Conflict
    from twofold.core.models import HistoryEntry
    from twofold.projects import services as project_services

    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    project_services.add_link(actor=owner, project=project, pred=tasks["Dig"], succ=tasks["Done"])
    moved = PLAN.replace(
        b"<StartDate>2026-03-02T08:00:00</StartDate>", b"<StartDate>2026-03-09T08:00:00</StartDate>"
    )
    assert moved != PLAN
    project.refresh_from_db()
    read = project.version  # an edit page opened now
    mspdi_import.apply_upload(actor=owner, upload=_upload(org, owner, moved), mode="update")
    project.refresh_from_db()
    assert project.target_start == dt.date(2026, 3, 9) and project.version > read
    entry = HistoryEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Project),
        object_id=project.pk,
        action="updated from file",
    )
    assert entry.changes == {"target_start": ["2026-03-02", "2026-03-09"]}
    assert entry.summary.endswith("; links: 1 removed, 0 added")
    assert not Link.objects.filter(pred=tasks["Dig"], succ=tasks["Done"]).exists()
    with pytest.raises(Conflict):
        project_services.update_project(
            actor=owner, project=project, expected_version=read, target_start=dt.date(2026, 3, 2)
        )


def test_a_link_added_after_the_preview_refuses_the_update(org: Any, owner: Any) -> None:
    from twofold.core.errors import Conflict
    from twofold.projects import services as project_services

    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    upload = _upload(org, owner)  # previewed against the plan as it is now
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    project_services.add_link(actor=owner, project=project, pred=tasks["Dig"], succ=tasks["Done"])
    with pytest.raises(Conflict, match="since this file was previewed"):
        mspdi_import.apply_upload(actor=owner, upload=upload, mode="update")
    assert Link.objects.filter(pred=tasks["Dig"], succ=tasks["Done"]).exists()


def test_an_update_that_rewrites_the_calendar_records_it(org: Any, owner: Any) -> None:
    """The project calendar's hours and days off were rewritten with no history (a review)."""
    import re

    from django.contrib.contenttypes.models import ContentType

    from twofold.calendars.models import Calendar
    from twofold.core.models import HistoryEntry

    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4"
    )
    assert project is not None
    calendar = project.calendar
    same = _upload(org, owner)
    mspdi_import.apply_upload(actor=owner, upload=same, mode="update")
    of_calendar = HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Calendar), object_id=calendar.pk
    )
    assert not of_calendar.filter(action="updated from file").exists()  # nothing changed
    no_fridays = re.sub(
        rb"<WeekDay><DayType>6</DayType><DayWorking>1</DayWorking>.*?</WeekDay>",
        b"<WeekDay><DayType>6</DayType><DayWorking>0</DayWorking></WeekDay>",
        PLAN,
    )
    assert no_fridays != PLAN
    mspdi_import.apply_upload(actor=owner, upload=_upload(org, owner, no_fridays), mode="update")
    entry = of_calendar.get(action="updated from file")
    assert set(entry.changes) == {"hours"}
    assert entry.summary == "Rewritten from line4.xml: 0 days off or other hours added, 0 removed"


def test_the_status_date_travels_through_an_export_and_an_import(
    org: Any, owner: Any, member: Any
) -> None:
    """Twofold writes the project's status date to the file; an import gives it to the new
    project (unfinished work stays where the file has it: the option to move it is off)."""
    ana = member(org, Role.MEMBER, full_name="Ana Weld")
    project = mspdi_import.apply_upload(
        actor=owner, upload=_upload(org, owner), mode="new", code="L4", resource_map={1: ana.pk}
    )
    assert project is not None and project.status_date is None
    Project.objects.filter(pk=project.pk).update(status_date=dt.date(2025, 3, 12))
    project.refresh_from_db()
    data = mspdi_export.export_mspdi(project)
    assert b"<StatusDate>2025-03-12T17:00:00</StatusDate>" in data
    copy = mspdi_import.apply_upload(
        actor=owner,
        upload=_upload(org, owner, data, "back.xml"),
        mode="new",
        code="L5",
        resource_map={},
    )
    assert copy is not None
    assert (copy.status_date, copy.reschedule_after_status) == (dt.date(2025, 3, 12), False)
