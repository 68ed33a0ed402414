"""Microsoft Project (MSPDI) files into projects: upload, preview, then create or update.

1. :func:`upload_mspdi` stores the file (size-capped, compressed) as an ``MspdiUpload``; a
   small file is previewed at once, a large one by a background job (progress, cancel).
2. :func:`preview_upload` reads it with the engine's tolerant importer
   (``twofold.interop.mspdi``, whose repairs it lists), maps it to project rows
   (``mspdi_map``), schedules both the file's own plan (the dates ``twofold mspdi-check``
   computes) and the plan the project will have, and stores what the page shows: counts, the
   tasks with both dates, calendars, resources with a suggested member, repairs, notes on what
   is not kept, and — when a project was imported from a file with the same GUID — the changes
   an update would make.
3. :func:`apply_upload` creates the project (or updates the matched one) in one transaction:
   any error, or a cancel of the background job, leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone as tz

from twofold.accounts.models import Membership, Organisation, Role
from twofold.calendars.models import Calendar, Holiday
from twofold.core import bulk, history, trash
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid, NotFound, ServiceError
from twofold.core.policy import Action, require
from twofold.engine.calendars import CalendarRangeError, compile_calendar, from_instant
from twofold.engine.cpm import CycleError, ScheduleResult, schedule
from twofold.engine.ordering import keys_between
from twofold.interchange.models import ImportedProject, MspdiUpload, UploadStatus
from twofold.interchange.mspdi_map import (
    CalendarRows,
    MappedProject,
    MappingError,
    TaskRow,
    app_plan,
    calendar_spec,
    map_document,
)
from twofold.interop.mspdi import MAX_BYTES, MspdiDocument, MspdiError, read_mspdi
from twofold.projects import board_order, resourcing
from twofold.projects import services as projects
from twofold.projects.models import Assignment, Link, Project, Task
from twofold.projects.selectors import free_project_code

INLINE_BYTES = 2 * 1024 * 1024
"""Files above this are previewed and imported by the background worker."""
PREVIEW_JOB = "interchange.mspdi_preview"
IMPORT_JOB = "interchange.mspdi_import"
SHOWN_TASKS = 500
SHOWN_REPAIRS = 200
SHOWN_UNLIKE = 50
"""Tasks listed whose computed dates differ from the ones Project stored in the file."""
TASK_FIELDS = (
    "name",
    "duration_minutes",
    "is_milestone",
    "constraint_type",
    "constraint_date",
    "percent_complete",
)

Progress = Callable[..., bool]


class Cancelled(Exception):
    """The background job was asked to stop: the transaction is rolled back."""


def _noop(fraction: float, message: str = "") -> bool:
    return True


# ---------------------------------------------------------------------------------------------
# Reading


def read_upload(data: bytes) -> MspdiDocument:
    """The document in ``data``; any problem is an ``Invalid`` on the file field."""
    if len(data) > MAX_BYTES:
        raise Invalid(f"The file is larger than {MAX_BYTES // 2**20} MiB.", field="file")
    try:
        return read_mspdi(data)
    except MspdiError as exc:
        raise Invalid(
            f"This is not a Microsoft Project XML file we can read: {exc}.", field="file"
        ) from exc


_last_read: tuple[tuple[int, int, int], MspdiDocument] | None = None
"""The document this process read last, keyed by (upload id, size, CRC-32 of the stored
bytes): the worker that previewed a large file imports it next without reading it again."""


def _document(upload: MspdiUpload, *, keep: bool = False) -> MspdiDocument:
    """The upload's document; with ``keep``, remembered for the next call (the import)."""
    global _last_read
    stored = bytes(upload.data)
    key = (upload.pk, len(stored), zlib.crc32(stored))
    if _last_read is not None and _last_read[0] == key:
        document = _last_read[1]
    else:
        document = read_upload(zlib.decompress(stored))
    # One document at most, and only between a preview and its import (it is large).
    _last_read = (key, document) if keep else None
    return document


def _map(document: MspdiDocument) -> MappedProject:
    try:
        return map_document(document)
    except MappingError as exc:
        raise Invalid(str(exc), field="file") from exc
    except (ValueError, KeyError) as exc:
        raise Invalid(f"The file's calendar cannot be imported: {exc}.", field="file") from exc


def _schedule(plan: Any, names: dict[int, str]) -> ScheduleResult:
    try:
        return schedule(plan)
    except CycleError as exc:
        loop = [f"“{names.get(uid, uid)}” (UID {uid})" for uid in exc.uids]
        raise Invalid(
            "The file's links form a dependency cycle: " + " → ".join([*loop, loop[0]]) + ".",
            field="file",
        ) from exc
    except (CalendarRangeError, IndexError, OverflowError) as exc:
        raise Invalid(
            "The schedule runs outside the years the calendar covers (1980–2149).", field="file"
        ) from exc
    except ValueError as exc:
        raise Invalid(f"The file cannot be scheduled: {exc}.", field="file") from exc


# ---------------------------------------------------------------------------------------------
# Upload and preview


@bulk.gc_paused()
def upload_mspdi(
    *, actor: Any, organisation: Organisation, file_name: str, data: bytes
) -> MspdiUpload:
    """Store an uploaded file; preview it now when small (else the caller queues the job).

    Raises:
        Invalid: (field ``file``) empty, too large, or — for a small file — unreadable.
    """
    require(actor, Action.MANAGE, organisation)
    if not data:
        raise Invalid("The file is empty.", field="file")
    if len(data) > MAX_BYTES:
        raise Invalid(f"The file is larger than {MAX_BYTES // 2**20} MiB.", field="file")
    if len(data) <= INLINE_BYTES:
        document = read_upload(data)  # refuse unreadable files before storing anything
        preview = build_preview(organisation, actor, document)
    upload = MspdiUpload.objects.create(
        organisation=organisation,
        owner=actor,
        file_name=file_name[:200] or "project.xml",
        size=len(data),
        data=zlib.compress(data, 6),
    )
    if len(data) <= INLINE_BYTES:
        _store_preview(upload, preview)
    return upload


def _store_preview(upload: MspdiUpload, preview: dict[str, Any]) -> None:
    upload.preview = preview
    upload.guid = preview.get("guid", "")
    upload.status = UploadStatus.READY
    upload.error = ""
    MspdiUpload.objects.filter(pk=upload.pk).update(
        preview=preview, guid=upload.guid, status=upload.status, error=""
    )


@bulk.gc_paused()
def preview_upload(upload: MspdiUpload, progress: Progress = _noop) -> dict[str, Any] | None:
    """Build and store the preview of ``upload`` (the background job's work)."""
    try:
        progress(0.05, "Reading the file")
        document = _document(upload, keep=True)
        if not progress(0.4, "Scheduling"):
            return None
        preview = build_preview(upload.organisation, upload.owner, document)
    except ServiceError as exc:
        MspdiUpload.objects.filter(pk=upload.pk).update(
            status=UploadStatus.FAILED, error=exc.message
        )
        raise
    except Exception:
        # A fault of ours: the upload must not stay "previewing" for ever (it did, with an
        # empty error, when a file crashed the reader). The job records the traceback.
        MspdiUpload.objects.filter(pk=upload.pk).update(
            status=UploadStatus.FAILED,
            error="Twofold could not preview this file (an error on our side, logged for the "
            "administrator). Nothing was created.",
        )
        raise
    _store_preview(upload, preview)
    progress(1.0, "Preview ready")
    return {"tasks": preview["counts"]["tasks"]}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _instants(result: ScheduleResult) -> dict[int, tuple[int, int]]:
    """Task uid → (start, finish) engine instants of ``result``, read from its arrays at once."""
    return dict(
        zip(
            result.uids.tolist(),
            zip(result.start.tolist(), result.finish.tolist(), strict=True),
            strict=True,
        )
    )


def build_preview(
    organisation: Organisation, actor: Any, document: MspdiDocument
) -> dict[str, Any]:
    """What the page shows before anything is created (JSON-ready; see the module docstring)."""
    mapped = _map(document)
    names = {t.uid: t.name for t in document.plan.tasks}
    file_result = _schedule(document.plan, names)
    spec = calendar_spec(mapped.calendar)
    app_result = _schedule(app_plan(mapped, spec), names)
    rows: list[dict[str, Any]] = []
    differ = 0
    ours_by_uid = _instants(app_result)
    theirs_by_uid = _instants(file_result)
    # The same working moment is the same date: a finish at 17:00 is the next day's 08:00 on
    # the project calendar (an elapsed task ends at 08:00 in the file's schedule).
    working = compile_calendar(spec).working_before

    def alike(ours: tuple[int, int], theirs: tuple[int, int]) -> bool:
        try:
            return working(ours[0]) == working(theirs[0]) and working(ours[1]) == working(theirs[1])
        except CalendarRangeError:  # a date past the calendar's years: not the same
            return False

    for index, row in enumerate(mapped.tasks):
        ours, theirs = ours_by_uid[row.uid], theirs_by_uid[row.uid]
        same = ours == theirs or alike(ours, theirs)
        differ += not same
        if index < SHOWN_TASKS or (not same and len(rows) < SHOWN_TASKS * 2):
            rows.append(
                {
                    "uid": row.uid,
                    "name": row.name,
                    "level": row.level,
                    "days": round(row.duration_minutes / 480, 2),
                    "milestone": row.is_milestone,
                    "start": _iso(from_instant(ours[0])),
                    "finish": _iso(from_instant(ours[1])),
                    "file_start": _iso(from_instant(theirs[0])),
                    "file_finish": _iso(from_instant(theirs[1])),
                    "same": same,
                }
            )
    # The file's schedule as the engine computes it, against the dates Project stored (what
    # ``twofold mspdi-check`` compares): a difference there is not one the import causes, but
    # the user must see it (an inactive task, an external one... read otherwise than Project).
    index_of = {t.uid: i for i, t in enumerate(document.plan.tasks)}
    manual = {t.uid for t in document.plan.tasks if t.manual}
    unlike: list[dict[str, Any]] = []
    unlike_count = 0
    for info in document.tasks:
        if info.uid not in index_of or info.uid in manual or info.start is None:
            continue
        if info.finish is None:
            continue
        computed = theirs_by_uid.get(info.uid)
        if computed is None or (from_instant(computed[0]), from_instant(computed[1])) == (
            info.start,
            info.finish,
        ):
            continue
        unlike_count += 1
        if len(unlike) < SHOWN_UNLIKE:
            unlike.append(
                {
                    "uid": info.uid,
                    "name": info.name,
                    "start": _iso(from_instant(computed[0])),
                    "finish": _iso(from_instant(computed[1])),
                    "stored_start": _iso(info.start),
                    "stored_finish": _iso(info.finish),
                }
            )
    summaries = {t.parent_uid for t in mapped.tasks if t.parent_uid is not None}
    calendars = [{"name": c.name, "days": len(c.holidays)} for c in mapped.calendar.chain()]
    matched = _matched_import(organisation, actor, document.guid)
    preview: dict[str, Any] = {
        "name": mapped.name,
        "guid": document.guid,
        "start": mapped.start.isoformat(),
        "counts": {
            "tasks": len(mapped.tasks),
            "summaries": len(summaries),
            "milestones": sum(t.is_milestone for t in mapped.tasks),
            "links": len(mapped.links),
            "calendars": len(document.plan.calendars),
            "resources": len(document.resources),
            "assignments": len(mapped.assignments),
            "holidays": sum(c["days"] for c in calendars),
            "differ": differ,
            "unlike_project": unlike_count,
            "repairs": len(document.repairs),
            "notes": mapped.note_count,
        },
        "tasks": rows,
        "unlike_project": unlike,
        "calendars": calendars,
        "resources": _resources(organisation, document),
        "repairs": [str(r) for r in document.repairs[:SHOWN_REPAIRS]],
        "notes": mapped.notes,
        "matched_project": None,
        "changes": None,
    }
    if matched is not None:
        preview["matched_project"] = {
            "id": matched.project_id,
            "name": str(matched.project),
        }
        preview["changes"] = _changes(matched, mapped)
    return preview


def _matched_import(organisation: Organisation, actor: Any, guid: str) -> ImportedProject | None:
    if not guid:
        return None
    found = (
        ImportedProject.objects.filter(organisation=organisation, guid=guid)
        .select_related("project")
        .order_by("-updated_at")
        .first()
    )
    if found is None or found.project.deleted_at is not None:
        return None
    return found


def _members(organisation: Organisation) -> list[Any]:
    ids = Membership.objects.filter(organisation=organisation).exclude(role=Role.GUEST)
    return list(
        get_user_model()
        .objects.filter(pk__in=ids.values("user_id"))
        .only("pk", "email", "full_name")
        .order_by("full_name", "email")
    )


def _resources(organisation: Organisation, document: MspdiDocument) -> list[dict[str, Any]]:
    members = _members(organisation)
    by_email = {m.email.lower(): m.pk for m in members if m.email}
    by_name: dict[str, int] = {}
    for m in members:
        for key in (m.full_name, m.email.split("@")[0]):
            if key:
                by_name.setdefault(key.strip().lower(), m.pk)
    out = []
    for r in document.resources:
        if r.type != 1 or not r.name:
            continue
        suggested = by_email.get(r.email.lower()) if r.email else None
        if suggested is None:
            suggested = by_name.get(r.name.strip().lower())
        out.append({"uid": r.uid, "name": r.name, "email": r.email, "member": suggested})
    return out[:500]


def _changes(matched: ImportedProject, mapped: MappedProject) -> dict[str, Any]:
    """What an update of ``matched`` with ``mapped`` adds, removes and changes."""
    uid_map = {int(k): v for k, v in matched.uid_map.items()}
    existing = {
        t.pk: t for t in Task.objects.filter(pk__in=uid_map.values(), project=matched.project)
    }
    added, changed = [], []
    for row in mapped.tasks:
        task = existing.get(uid_map.get(row.uid, -1))
        if task is None:
            added.append(row.name)
            continue
        fields = []
        for name in TASK_FIELDS:
            before, after = getattr(task, name), _value(row, name)
            if before != after:
                fields.append([name, _text(before), _text(after)])
        parent_uid = (
            {v: k for k, v in uid_map.items()}.get(task.parent_id) if task.parent_id else None
        )
        if parent_uid != row.parent_uid:
            fields.append(["parent", str(parent_uid or "—"), str(row.parent_uid or "—")])
        if fields:
            changed.append({"name": row.name, "fields": fields})
    in_file = {row.uid for row in mapped.tasks}
    removed = [
        existing[pk].name for uid, pk in uid_map.items() if uid not in in_file and pk in existing
    ]
    return {
        "added": added[:200],
        "removed": removed[:200],
        "changed": changed[:200],
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
        "tasks_version": _tasks_version(matched.project),
    }


def _tasks_version(project: Project) -> str:
    """A digest of the plan the preview compared the file with: every task's id and version,
    every link, and the project's version (three queries; every write to a task moves its
    version). A link added since, or an edit of the project's start, was overwritten by the
    update unseen: they count too."""
    rows = Task.objects.filter(project=project).order_by("pk").values_list("pk", "version")
    links = (
        Link.objects.filter(project=project)
        .order_by("pk")
        .values_list("pk", "pred_id", "succ_id", "type", "lag", "lag_unit")
    )
    stored = Project.all_objects.filter(pk=project.pk).values_list("version", flat=True).first()
    text = ";".join(f"{pk}:{version}" for pk, version in rows)
    text += "|" + ";".join(":".join(str(v) for v in link) for link in links)
    text += f"|{stored}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _links_between(project: Project, ids: list[int]) -> set[tuple[Any, ...]]:
    """The links between tasks ``ids`` as (predecessor, successor, type, lag, unit)."""
    return set(
        Link.objects.filter(project=project, pred_id__in=ids, succ_id__in=ids).values_list(
            "pred_id", "succ_id", "type", "lag", "lag_unit"
        )
    )


def _value(row: TaskRow, name: str) -> Any:
    return getattr(row, name)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Applying


def check_resource_map(
    organisation: Organisation, resource_map: dict[int, int | None]
) -> dict[int, int]:
    """Keep the mapped resources whose member may be assigned; Invalid naming a stranger."""
    wanted = {uid: pk for uid, pk in resource_map.items() if pk is not None}
    allowed = set(
        Membership.objects.filter(organisation=organisation, user_id__in=wanted.values())
        .exclude(role=Role.GUEST)
        .values_list("user_id", flat=True)
    )
    for uid, pk in wanted.items():
        if pk not in allowed:
            raise Invalid(
                f"Resource {uid}: choose a member of this organisation (not a guest).",
                field=f"resource_{uid}",
            )
    return wanted


@transaction.atomic
def queue_import(
    *, actor: Any, upload: MspdiUpload, params: dict[str, Any], resources: dict[int, int | None]
) -> Any:
    """Queue the import of a large upload as a background job; the upload is "importing" from
    then. Taken with one conditional UPDATE: of two requests at once (a double submit) one
    queues, the other gets a Conflict (both queued a job, and the second ran the whole import
    again before its last write failed)."""
    from twofold.core.services import enqueue_job

    check_resource_map(upload.organisation, resources)
    taken = MspdiUpload.objects.filter(pk=upload.pk, status=UploadStatus.READY).update(
        status=UploadStatus.IMPORTING
    )
    if not taken:
        raise Conflict(
            "This file is being imported already (or was): reload its page to follow it.",
            field="mode",
        )
    return enqueue_job(
        actor=actor,
        kind=IMPORT_JOB,
        subject=upload,
        params={**params, "resources": {str(k): v for k, v in resources.items()}},
    )


@bulk.gc_paused()
def apply_upload(
    *,
    actor: Any,
    upload: MspdiUpload,
    mode: str,
    name: str = "",
    code: str = "",
    resource_map: dict[int, int | None] | None = None,
    progress: Progress = _noop,
) -> Project | None:
    """Create a project from ``upload`` (``mode="new"``) or update the matched one
    (``mode="update"``), all in one transaction. None when cancelled (nothing written).

    Raises:
        Invalid / NotFound / Forbidden: nothing is written; the message names the task or field.
    """
    organisation = upload.organisation
    require(actor, Action.MANAGE, organisation)
    if upload.owner_id != actor.pk:
        raise NotFound("Upload not found.")
    if upload.status == UploadStatus.IMPORTED:
        raise Invalid("This file was already imported.", field="file")
    document = _document(upload)
    mapped = _map(document)
    if not upload.preview:
        # Not previewed (which schedules the file): a cycle or out-of-range dates are refused
        # before anything is written.
        _schedule(document.plan, {t.uid: t.name for t in document.plan.tasks})
    people = check_resource_map(organisation, resource_map or {})
    try:
        with transaction.atomic():
            if mode == "update":
                matched = _matched_import(organisation, actor, document.guid)
                if matched is None:
                    raise Invalid(
                        "No project was imported from a file with this GUID: import it as a new project.",
                        field="mode",
                    )
                project = matched.project
                require(actor, Action.MANAGE, project)
                _update(actor, matched, mapped, people, upload, progress)
            elif mode == "new":
                project = _create(
                    actor, organisation, mapped, people, upload, name, code, progress, document.guid
                )
            else:
                raise Invalid("Choose a new project or an update.", field="mode")
            upload.status = UploadStatus.IMPORTED
            upload.project = project
            upload.applied_at = tz.now()
            upload.data = b""
            save_versioned(
                upload,
                expected_version=upload.version,
                fields=["status", "project", "applied_at", "data"],
            )
    except Cancelled:
        return None
    return project


def _step(progress: Progress, fraction: float, message: str) -> None:
    if not progress(fraction, message):
        raise Cancelled


def _calendar_name(organisation: Organisation, name: str, code: str) -> str:
    base = f"{name} ({code})"[:72]
    taken = set(
        Calendar.objects.filter(organisation=organisation, name__startswith=base).values_list(
            "name", flat=True
        )
    )
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base} {n}", n + 1
    return candidate


def _save_calendar(
    organisation: Organisation, rows: CalendarRows, code: str, existing: Calendar | None = None
) -> Calendar:
    """Create the calendar chain of ``rows`` (or rewrite ``existing`` and its own days)."""
    base = None
    for item in rows.chain():
        if item is rows and existing is not None:
            calendar = existing
            calendar.hours = item.hours
            calendar.base = base
            calendar.revision = uuid.uuid4()
            calendar.version += 1
            calendar.save(update_fields=["hours", "base", "revision", "version"])
            Holiday.objects.filter(calendar=calendar).delete()
        else:
            calendar = Calendar.objects.create(
                organisation=organisation,
                name=_calendar_name(organisation, item.name, code),
                hours=item.hours,
                base=base,
            )
        Holiday.objects.bulk_create(
            [
                Holiday(
                    organisation=organisation,
                    calendar=calendar,
                    name=hname,
                    start=start,
                    end=end,
                    hours=[list(p) for p in times],
                )
                for hname, start, end, times in item.holidays
            ],
            batch_size=1000,
        )
        base = calendar
    assert base is not None
    return base


def _days_off(calendar: Calendar) -> set[tuple[Any, ...]]:
    return {
        (name, start, end, str(hours))
        for name, start, end, hours in Holiday.objects.filter(calendar=calendar).values_list(
            "name", "start", "end", "hours"
        )
    }


def _record_calendar(
    actor: Any,
    calendar: Calendar,
    before: tuple[dict[str, Any], set[tuple[Any, ...]]],
    file_name: str,
) -> None:
    """The project calendar an update rewrote, in its history (it changed unrecorded)."""
    changes = history.diff(before[0], history.snapshot(calendar, ["hours", "base"]))
    days = _days_off(calendar)
    gone, new = len(before[1] - days), len(days - before[1])
    if not changes and not gone and not new:
        return
    history.record(
        actor=actor,
        obj=calendar,
        action="updated from file",
        changes=changes,
        summary=f"Rewritten from {file_name}: {new} days off or other hours added, {gone} removed",
    )


def _free_code(organisation: Organisation, wanted: str) -> str:
    code = (wanted or "IMP").strip()[:16] or "IMP"
    return free_project_code(organisation, code)


def _create(
    actor: Any,
    organisation: Organisation,
    mapped: MappedProject,
    people: dict[int, int],
    upload: MspdiUpload,
    name: str,
    code: str,
    progress: Progress,
    guid: str,
) -> Project:
    _step(progress, 0.1, "Creating the calendar")
    code = code.strip() or _free_code(
        organisation, "".join(w[:1] for w in mapped.name.split()[:4]).upper()
    )
    calendar = _save_calendar(organisation, mapped.calendar, code)
    project = projects.create_project(
        actor=actor,
        organisation=organisation,
        name=(name.strip() or mapped.name)[:160],
        code=code,
        target_start=mapped.start,
        calendar=calendar,
        status_date=mapped.status_date,
    )
    by_task = _people_by_task(mapped, people)
    made = _create_tasks(project, mapped.tasks, {}, by_task, progress)
    _replace_links_and_people(project, mapped, made, by_task, progress)
    _step(progress, 0.85, "Scheduling")
    projects.reschedule_project(project, field="file")
    ImportedProject.objects.create(
        organisation=organisation,
        project=project,
        guid=guid,
        file_name=upload.file_name,
        calendar=calendar,
        uid_map={str(uid): pk for uid, pk in made.items()},
    )
    history.record(
        actor=actor,
        obj=project,
        action="imported",
        summary=f"Imported from {upload.file_name}: {len(mapped.tasks)} tasks, "
        f"{len(mapped.links)} links",
    )
    return project


TASK_COLUMNS = (
    "id",
    "organisation_id",
    "project_id",
    "parent_id",
    "position",
    "board_key",
    "name",
    "duration_minutes",
    "is_milestone",
    "constraint_type",
    "constraint_date",
    "percent_complete",
    "status",
    "actual_start",
    "actual_finish",
    "assignee_id",
)


def _create_tasks(
    project: Project,
    rows: list[TaskRow],
    made: dict[int, int],
    people: dict[int, list[PersonRow]],
    progress: Progress,
) -> dict[int, int]:
    """Insert the tasks of ``rows`` not in ``made`` (file UID → task id) in one pass: their ids
    are allocated first, so a child names its parent before either is written (the file lists
    parents before children); each gets its first person as assignee. Returns ``made`` with
    the new tasks."""
    fresh = not made
    # The plan's order: positions follow the file, board keys start in the same order.
    # Keys spread below "z" stay 3-4 characters long for 10,000 tasks (appending one after
    # the other grows a character every ~61 keys, past the column's 80).
    keys = dict(zip((row.uid for row in rows), keys_between(None, "z", len(rows)), strict=True))
    new = [row for row in rows if row.uid not in made]
    _step(progress, 0.2, "Creating tasks")
    ids = bulk.allocate_ids(Task, len(new))
    made.update(zip((row.uid for row in new), ids, strict=True))
    org = project.organisation_id
    bulk.insert(
        Task,
        TASK_COLUMNS,
        (
            (
                made[row.uid],
                org,
                project.pk,
                made[row.parent_uid] if row.parent_uid is not None else None,
                keys[row.uid],
                # A new project's board starts in plan order; an update parks new cards first.
                keys[row.uid] if fresh else board_order.parked_key(f"imp{row.uid}"),
                row.name,
                row.duration_minutes,
                row.is_milestone,
                row.constraint_type,
                row.constraint_date,
                row.percent_complete,
                row.status,
                row.actual_start,
                row.actual_finish,
                people[row.uid][0][0] if row.uid in people else None,
            )
            for row in new
        ),
    )
    if not fresh:
        _set_column(Task, "position", [(keys[row.uid], made[row.uid]) for row in rows])
        board_order.rebalance(project)
    return made


def _set_column(model: Any, column: str, pairs: list[tuple[Any, int]]) -> None:
    """``UPDATE … SET column = %s WHERE id = %s`` for each (value, id), in one executemany."""
    if not pairs:
        return
    qn = connection.ops.quote_name
    sql = f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE id = %s"  # noqa: S608 - quoted names
    with connection.cursor() as cursor:
        cursor.executemany(sql, pairs)


def _fill(task: Task, row: TaskRow, made: dict[int, int]) -> None:
    task.name = row.name
    task.parent_id = made[row.parent_uid] if row.parent_uid is not None else None
    task.duration_minutes = row.duration_minutes
    task.is_milestone = row.is_milestone
    task.constraint_type = row.constraint_type
    task.constraint_date = row.constraint_date
    task.percent_complete = row.percent_complete
    task.status = row.status
    task.actual_start = row.actual_start
    task.actual_finish = row.actual_finish


PersonRow = tuple[int, int, int | None]
"""An assignment of a task: (person id, units in %, work minutes or None)."""


def _people_by_task(mapped: MappedProject, people: dict[int, int]) -> dict[int, list[PersonRow]]:
    """File task UID → its assignments to mapped members (one per person, in file order)."""
    out: dict[int, list[PersonRow]] = {}
    for a in mapped.assignments:
        person = people.get(a.resource_uid)
        if person is None:
            continue
        group = out.setdefault(a.task_uid, [])
        if all(p != person for p, _, _ in group):
            group.append((person, a.units, a.work_minutes))
    return out


Seat = tuple[int, int | None, int | None]
"""A person on a task: (person id, units, work minutes); units None for an assignee who has
no assignment row."""


def _replace_links_and_people(
    project: Project,
    mapped: MappedProject,
    made: dict[int, int],
    people: dict[int, list[PersonRow]],
    progress: Progress,
    assignees: dict[int, int | None] | None = None,
    mapped_people: set[int] | None = None,
    actor: Any = None,
) -> None:
    """Write the file's links and assignments between the tasks of ``made`` (replacing those
    already between them).

    On an update (``assignees``: the current assignee of each existing task) only the people
    the resource mapping names (``mapped_people``) are the file's to replace: people added in
    Twofold, or whose resource was not mapped, stay (an update with no mapping once took
    everyone off every task, unrecorded). A task's only person may be its assignee without an
    assignment row: that person counts too, and when the file brings people to such a task an
    unmapped assignee keeps a row of their own, first. A task whose people, units or work
    changed gets a new version and a history entry; its assignee is its first person."""
    _step(progress, 0.65, "Linking tasks")
    org = project.organisation_id
    mapped_people = mapped_people or set()
    before: dict[int, list[Seat]] = {}
    kept_first: dict[int, Seat] = {}
    if assignees is not None:
        ids = list(made.values())
        Link.objects.filter(project=project).filter(
            Q(pred_id__in=ids) & Q(succ_id__in=ids)
        ).delete()
        for task_id, person_id, units, work in Assignment.objects.filter(
            task_id__in=ids
        ).values_list("task_id", "person_id", "units", "work_minutes"):
            before.setdefault(task_id, []).append((person_id, units, work))
        # Tasks the file brings people to (elsewhere an assignee without a row stays as is).
        filled = {made[uid] for uid, group in people.items() if group and uid in made}
        alone = {
            pk: person
            for pk in ids
            if pk in assignees and pk not in before and (person := assignees[pk]) is not None
        }
        for pk, effort_minutes, duration in Task.objects.filter(pk__in=alone).values_list(
            "pk", "effort_minutes", "duration_minutes"
        ):
            person = alone[pk]
            before[pk] = [(person, None, None)]  # the assignee, with no row
            if person not in mapped_people and pk in filled:
                units = resourcing.assignee_units(effort_minutes, duration)
                kept_first[pk] = (person, units, None)
        Assignment.objects.filter(task_id__in=ids, person_id__in=mapped_people).delete()
    links = mapped.links
    bulk.insert(
        Link,
        ("id", "organisation_id", "project_id", "pred_id", "succ_id", "type", "lag", "lag_unit"),
        (
            (pk, org, project.pk, made[x.pred_uid], made[x.succ_uid], x.type, x.lag, x.lag_unit)
            for pk, x in zip(bulk.allocate_ids(Link, len(links)), links, strict=True)
        ),
    )
    _step(progress, 0.75, "Assigning people")
    flat = [
        (task_id, position, *seat)
        for task_id, seats in (
            (made[uid], [*([kept_first[made[uid]]] if made[uid] in kept_first else []), *group])
            for uid, group in people.items()
            if uid in made
        )
        for position, seat in enumerate(seats)
    ]
    bulk.insert(
        Assignment,
        ("id", "organisation_id", "task_id", "position", "person_id", "units", "work_minutes"),
        (
            (pk, org, *row)
            for pk, row in zip(bulk.allocate_ids(Assignment, len(flat)), flat, strict=True)
        ),
    )
    if assignees is not None:
        _record_people_changes(actor, made, assignees, before, mapped_people)


def _record_people_changes(
    actor: Any,
    made: dict[int, int],
    assignees: dict[int, int | None],
    before: dict[int, list[Seat]],
    mapped_people: set[int],
) -> None:
    """After an update's assignments: each kept task whose people, units or work changed gets
    its assignee (its first person), a new version and a history entry with the people before
    and after."""
    kept = [pk for pk in made.values() if pk in assignees]
    after: dict[int, list[Seat]] = {}
    for task_id, person_id, units, work in (
        Assignment.objects.filter(task_id__in=kept)
        .order_by("position", "pk")
        .values_list("task_id", "person_id", "units", "work_minutes")
    ):
        after.setdefault(task_id, []).append((person_id, units, work))
    for pk in kept:
        current = assignees[pk]
        if pk not in after and current is not None and current not in mapped_people:
            after[pk] = [(current, None, None)]  # an unmapped assignee without a row stays
    ids = {seat[0] for seats in (*before.values(), *after.values()) for seat in seats}
    names = {
        pk: full_name or email
        for pk, full_name, email in get_user_model()
        .objects.filter(pk__in=ids)
        .values_list("pk", "full_name", "email")
    }

    def words(seats: list[Seat]) -> str:
        return (
            ", ".join(
                sorted(
                    names.get(person, "") + ("" if units is None else f" {units} %")
                    for person, units, _work in seats
                )
            )
            or "—"
        )

    retarget, touched = [], {}
    for pk in kept:
        old, now = before.get(pk, []), after.get(pk, [])
        wanted = now[0][0] if now else None
        if assignees[pk] != wanted:
            retarget.append((wanted, pk))
        if sorted(old, key=str) != sorted(now, key=str) or assignees[pk] != wanted:
            touched[pk] = [words(old), words(now)]
    _set_column(Task, "assignee_id", retarget)
    Task.objects.filter(pk__in=touched).update(version=F("version") + 1)
    for task in Task.objects.filter(pk__in=touched):
        history.record(
            actor=actor, obj=task, action="updated", changes={"people": touched[task.pk]}
        )


def _update(
    actor: Any,
    matched: ImportedProject,
    mapped: MappedProject,
    people: dict[int, int],
    upload: MspdiUpload,
    progress: Progress,
) -> None:
    project = matched.project
    board_order.lock_board(project)
    uid_map = {int(k): v for k, v in matched.uid_map.items()}
    # Locked: an edit landing now waits for the import, and is checked against (not lost).
    existing = {
        t.pk: t
        for t in Task.objects.select_for_update().filter(project=project, pk__in=uid_map.values())
    }
    seen = (upload.preview or {}).get("changes", {}).get("tasks_version")
    if seen is not None and seen != _tasks_version(project):
        # The preview listed what the file changes against the plan as it was: someone has
        # changed a task since, and their change would be overwritten unseen.
        raise Conflict(
            f"Someone changed {project.code}'s plan (its tasks, links or the project) since this "
            "file was previewed: upload it again to see what it changes now."
        )
    in_file = {row.uid for row in mapped.tasks}
    _step(progress, 0.1, "Updating the calendar")
    calendar = matched.calendar if matched.calendar_id == project.calendar_id else None
    if calendar is not None:
        before_calendar = (history.snapshot(calendar, ["hours", "base"]), _days_off(calendar))
        _save_calendar(project.organisation, mapped.calendar, project.code, existing=calendar)
        _record_calendar(actor, calendar, before_calendar, upload.file_name)
    project_changes: dict[str, list[Any]] = {}
    if project.target_start != mapped.start:
        # Versioned and recorded: an edit page opened before the import then gets 409 (it
        # silently put the old start back).
        before = history.snapshot(project, ["target_start"])
        project.target_start = mapped.start
        save_versioned(project, expected_version=None, fields=["target_start"])
        project_changes = history.diff(before, history.snapshot(project, ["target_start"]))
    removed = [existing[pk] for uid, pk in uid_map.items() if pk in existing and uid not in in_file]
    made = {uid: pk for uid, pk in uid_map.items() if pk in existing and uid in in_file}
    assignees = {pk: existing[pk].assignee_id for pk in made.values()}
    kept = [row for row in mapped.tasks if row.uid in made]
    by_task = _people_by_task(mapped, people)
    # New tasks first (a kept task may move under one), then the kept ones, then removals
    # (after the kept tasks left a removed parent).
    made = _create_tasks(project, mapped.tasks, made, by_task, progress)
    watched = [*TASK_FIELDS, "parent_id"]
    changed = []
    for row in kept:
        task = existing[made[row.uid]]
        before = history.snapshot(task, watched)
        _fill(task, row, made)
        changes = history.diff(before, history.snapshot(task, watched))
        if changes:
            task.version += 1
            changed.append(task)
            history.record(actor=actor, obj=task, action="updated", changes=changes)
    Task.objects.bulk_update(
        changed,
        [*TASK_FIELDS, "parent", "status", "actual_start", "actual_finish", "version"],
        batch_size=1000,
    )
    for task in removed:
        # Removed from the plan: to the trash with its subtree, restorable from there.
        if Task.objects.filter(pk=task.pk).exists():
            trash.move_to_trash(actor=actor, obj=task)
    links_before = _links_between(project, list(made.values()))
    _replace_links_and_people(
        project,
        mapped,
        made,
        by_task,
        progress,
        assignees,
        {person for person in people.values() if person is not None},
        actor,
    )
    links_after = _links_between(project, list(made.values()))
    links_note = ""
    if links_before != links_after:
        # The file's links replace those between its tasks: say what went and came.
        links_note = (
            f"; links: {len(links_before - links_after)} removed, "
            f"{len(links_after - links_before)} added"
        )
    _step(progress, 0.85, "Scheduling")
    projects.reschedule_project(project, field="file")
    matched.uid_map = {str(uid): pk for uid, pk in made.items()}
    matched.file_name = upload.file_name
    matched.updated_at = tz.now()
    matched.save(update_fields=["uid_map", "file_name", "updated_at"])
    history.record(
        actor=actor,
        obj=project,
        action="updated from file",
        changes=project_changes,
        summary=f"Updated from {upload.file_name}: {len(mapped.tasks) - len(kept)} added, "
        f"{len(changed)} changed, {len(removed)} removed{links_note}",
    )
