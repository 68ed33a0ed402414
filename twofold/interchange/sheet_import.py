"""Task lists from spreadsheets (CSV, XLSX) into projects: upload, map columns, check, import.

1. :func:`upload_sheet` reads the file once (``twofold.interop.sheet_tasks.read_table``: size,
   zip, merged-cell, column and row caps, "not a spreadsheet") and stores the table it holds
   (compressed JSON: reading an XLSX is the slow part) as a ``SheetUpload`` with its header
   and a guessed column mapping.
2. :func:`check_upload` turns the rows into tasks under a mapping and lists every problem as
   (row, column, message): values, hierarchy, predecessors (unknown IDs, cycles naming the
   rows), assignees who are not members. Nothing is written.
3. :func:`import_upload` checks again and, only when no row has an error, appends the tasks to
   the project (or creates a new one) in one transaction: tasks and links in bulk, one history
   entry, one reschedule. One bad row: nothing is created.

A file of more than :func:`inline_rows` rows is imported by a background job (``twofold
worker``, :data:`IMPORT_JOB`) with progress and cancel, as large Microsoft Project files are:
the page and the API queue it and show its progress; a cancel rolls the transaction back.

Appending needs the edit right on the project (as adding a task does); a new project needs
the role that creates projects (admin).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone as tz

from twofold.accounts.models import Membership, Organisation
from twofold.core import bulk, history
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Invalid, NotFound
from twofold.core.models import Job, JobStatus
from twofold.core.policy import Action, require
from twofold.core.services import enqueue_job
from twofold.engine.ordering import keys_between
from twofold.interchange.models import SheetUpload
from twofold.interop import sheet_tasks as st
from twofold.projects import board_order
from twofold.projects import services as projects
from twofold.projects.models import Constraint, Link, Project, Task
from twofold.projects.selectors import free_project_code

SHOWN_ROWS = 200
IMPORT_JOB = "interchange.sheet_import"
INLINE_ROWS = 2_000
"""Files with more rows than this are imported by the background worker (setting
``TWOFOLD_SHEET_INLINE_ROWS`` overrides it)."""

Progress = Callable[..., bool]


def _noop(fraction: float, message: str = "") -> bool:
    return True


class Cancelled(Exception):
    """The background job was asked to stop: the transaction is rolled back."""


def inline_rows() -> int:
    """The most rows a page or API request imports itself; more go to a background job."""
    return int(getattr(settings, "TWOFOLD_SHEET_INLINE_ROWS", INLINE_ROWS))


def runs_in_background(upload: SheetUpload) -> bool:
    return upload.row_count > inline_rows()


def _step(progress: Progress, fraction: float, message: str) -> None:
    if not progress(fraction, message):
        raise Cancelled


class SheetInvalid(Invalid):
    """Rows with errors: ``errors`` lists each (row, column, message); nothing was written."""

    def __init__(self, errors: list[st.RowError], count: int) -> None:
        first = errors[0] if errors else st.RowError(0, "", "")
        where = f"row {first.row}, {first.column}: " if first.row else ""
        more = f" ({count} problems in all)" if count > 1 else ""
        super().__init__(f"Nothing was imported: {where}{first.message}{more}", field="file")
        self.errors = errors
        self.count = count


@dataclass
class Checked:
    """The rows as tasks under one mapping, the problems found, and who each e-mail is."""

    tasks: list[st.SheetTask]
    errors: list[st.RowError]
    error_count: int
    people: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def _require_target(actor: Any, organisation: Organisation, project: Project | None) -> None:
    """The actor may import into ``project`` (edit it), or create a project (manage the
    organisation); a project of another organisation or in the trash is ``NotFound``."""
    if project is not None:
        if project.organisation_id != organisation.pk or project.deleted_at is not None:
            raise NotFound("Project not found.")
        require(actor, Action.EDIT, project)
    else:
        require(actor, Action.MANAGE, organisation)


def upload_sheet(
    *,
    actor: Any,
    organisation: Organisation,
    file_name: str,
    data: bytes,
    project: Project | None = None,
) -> SheetUpload:
    """Store an uploaded task list with its columns and a guessed mapping.

    Raises:
        Invalid (field "file"): not a spreadsheet, too large, merged cells, too many columns.
    """
    _require_target(actor, organisation, project)
    try:
        table = st.read_table(data, file_name)
    except st.SheetError as exc:
        raise Invalid(str(exc), field="file") from exc
    upload = SheetUpload.objects.create(
        organisation=organisation,
        owner=actor,
        file_name=file_name[:200],
        size=len(data),
        data=zlib.compress(st.table_bytes(table), 6),
        columns=table.header,
        mapping=st.guess_mapping(table.header),
        row_count=len(table.rows),
        project=project,
    )
    return upload


def clean_mapping(upload: SheetUpload, mapping: dict[str, Any]) -> dict[str, int | None]:
    """``mapping`` with known targets and column indexes only; Invalid names a bad one."""
    out: dict[str, int | None] = {}
    width = len(upload.columns)
    for target, _label in st.TARGETS:
        value = mapping.get(target)
        if value in (None, ""):
            out[target] = None
            continue
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < width:
            raise Invalid(f"Choose one of the file's {width} columns.", field=f"mapping.{target}")
        out[target] = value
    unknown = set(mapping) - set(out)
    if unknown:
        raise Invalid(f"Unknown task field {sorted(unknown)[0]}.", field="mapping")
    seen: dict[int, str] = {}
    for target, column in out.items():
        if column is None:
            continue
        if column in seen:
            raise Invalid(
                f"Column “{upload.columns[column]}” is chosen for both "
                f"{st.LABELS[seen[column]]} and {st.LABELS[target]}.",
                field=f"mapping.{target}",
            )
        seen[column] = target
    return out


def check_upload(upload: SheetUpload, mapping: dict[str, int | None]) -> Checked:
    """Every row under ``mapping`` as a task, and every problem (nothing is written)."""
    table = st.table_from_bytes(zlib.decompress(bytes(upload.data)))
    parsed = st.tasks_from_table(table, mapping, upload.organisation.date_format)
    errors, count = parsed.errors, parsed.error_count
    emails = {t.assignee for t in parsed.tasks if t.assignee}
    people: dict[str, int] = {}
    if emails:
        # Compared case-insensitively: one query over the organisation's members.
        for email, user_id in Membership.objects.filter(
            organisation_id=upload.organisation_id
        ).values_list("user__email", "user_id"):
            if email.lower() in emails:
                people[email.lower()] = user_id
        for task in parsed.tasks:
            if task.assignee and task.assignee not in people:
                count += 1
                if len(errors) < st.MAX_ERRORS:
                    errors.append(
                        st.RowError(
                            task.row,
                            st.LABELS["assignee"],
                            f"{task.assignee} is not a member of this organisation.",
                        )
                    )
    if not parsed.tasks and not count:
        count = 1
        errors.append(st.RowError(0, "", "The sheet has a header but no tasks."))
    errors.sort(key=lambda e: e.row)
    return Checked(parsed.tasks, errors, count, people)


def save_mapping(*, actor: Any, upload: SheetUpload, mapping: dict[str, int | None]) -> SheetUpload:
    """Remember the mapping the person chose (the page shows it again)."""
    if upload.owner_id != actor.pk:
        raise NotFound("Upload not found.")
    if upload.mapping != mapping:
        upload.mapping = mapping
        SheetUpload.objects.filter(pk=upload.pk).update(mapping=mapping)
    return upload


def import_upload(
    *,
    actor: Any,
    upload: SheetUpload,
    mapping: dict[str, int | None],
    name: str = "",
    code: str = "",
    progress: Progress = _noop,
) -> Project | None:
    """Append the upload's tasks to its project (or a new one) — all of them, or none.
    None when ``progress`` answered False (the background job was cancelled): nothing written.

    Raises:
        SheetInvalid: rows with errors (``errors`` lists them all); nothing is written.
        Invalid / NotFound / Forbidden: nothing is written.
    """
    organisation = upload.organisation
    if upload.owner_id != actor.pk:
        raise NotFound("Upload not found.")
    _require_target(actor, organisation, upload.project)
    if upload.applied_at is not None:
        raise Invalid("This file was already imported; upload it again to import it twice.")
    if not progress(0.05, "Checking the rows"):
        return None
    checked = check_upload(upload, mapping)
    if not checked.ok:
        raise SheetInvalid(checked.errors, checked.error_count)
    try:
        with transaction.atomic():
            return _import(actor, upload, mapping, checked, name, code, progress)
    except Cancelled:
        return None


def _import(
    actor: Any,
    upload: SheetUpload,
    mapping: dict[str, int | None],
    checked: Checked,
    name: str,
    code: str,
    progress: Progress,
) -> Project:
    organisation = upload.organisation
    _step(progress, 0.2, "Creating tasks")
    project = upload.project
    if project is None:
        starts = [t.start for t in checked.tasks if t.start]
        project = projects.create_project(
            actor=actor,
            organisation=organisation,
            name=(name.strip() or upload.file_name.rsplit(".", 1)[0] or "Imported plan")[:160],
            code=code.strip() or _free_code(organisation, upload.file_name),
            target_start=min(starts) if starts else tz.localdate(),
        )
    else:
        board_order.lock_board(project)
        # Trashed since the check before the transaction: nothing is created in it.
        if Project.all_objects.filter(pk=project.pk, deleted_at__isnull=False).exists():
            raise NotFound("Project not found.")
    made = _create_tasks(project, checked)
    _step(progress, 0.5, "Linking tasks")
    _create_links(project, checked.tasks, made)
    _step(progress, 0.7, "Scheduling")
    projects.reschedule_project(project, field="file")
    history.record(
        actor=actor,
        obj=project,
        action="imported",
        summary=f"Imported {len(made)} tasks from {upload.file_name}",
    )
    upload.mapping = mapping
    upload.imported_project = project
    upload.created_count = len(made)
    upload.applied_at = tz.now()
    upload.data = b""
    save_versioned(
        upload,
        expected_version=upload.version,
        fields=["mapping", "imported_project", "created_count", "applied_at", "data"],
    )
    return project


def queue_import(
    *,
    actor: Any,
    upload: SheetUpload,
    mapping: dict[str, int | None],
    name: str = "",
    code: str = "",
) -> Job:
    """Queue the background job that imports ``upload`` (a large file); nothing is written
    until the worker runs it, all or nothing as :func:`import_upload`.

    Raises:
        Invalid: already imported, or a job importing it is queued or running.
        NotFound / Forbidden: as :func:`import_upload`.
    """
    if upload.owner_id != actor.pk:
        raise NotFound("Upload not found.")
    _require_target(actor, upload.organisation, upload.project)
    if upload.applied_at is not None:
        raise Invalid("This file was already imported; upload it again to import it twice.")
    if Job.objects.filter(
        organisation_id=upload.organisation_id,
        kind=IMPORT_JOB,
        subject_id=upload.pk,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).exists():
        raise Invalid("This file is being imported already.")
    return enqueue_job(
        actor=actor,
        kind=IMPORT_JOB,
        subject=upload,
        params={"mapping": mapping, "name": name, "code": code},
    )


def _free_code(organisation: Organisation, file_name: str) -> str:
    stem = "".join(c for c in file_name.rsplit(".", 1)[0].upper() if c.isalnum())[:8] or "IMP"
    return free_project_code(organisation, stem)


def _append_keys(last: str | None, count: int) -> list[str]:
    """``count`` ordering keys after ``last``, spread below a bound: appended one after the
    other they would grow a character every ~61 keys (165 characters for 10,000 rows, past the
    columns' 80); spread, 10,000 keys are 3-4 characters longer than ``last`` at most."""
    bound = "z" if last is None or last < "z" else last + "z"
    return keys_between(last, bound, count)


def _create_tasks(project: Project, checked: Checked) -> list[int]:
    """The tasks after the project's last one, parents before children, in one ``executemany``
    (``core.bulk``: ids allocated first, so a child names its parent before either is
    written). Returns the new ids in row order."""
    rows = checked.tasks
    existing = Task.all_objects.filter(project=project)
    last = existing.aggregate(p=Max("position"))["p"]
    positions = _append_keys(last, len(rows))
    top_key = existing.exclude(board_key__startswith="~").aggregate(k=Max("board_key"))["k"] or None
    if top_key and len(top_key) > board_order.MAX_KEY_LENGTH - 6:
        board_order.rebalance(project)
        top_key = existing.aggregate(k=Max("board_key"))["k"] or None
    board_keys = _append_keys(top_key, len(rows))
    ids = bulk.allocate_ids(Task, len(rows))
    org, people = project.organisation_id, checked.people

    def values(row: st.SheetTask, pk: int, position: str, board_key: str) -> tuple[Any, ...]:
        minutes = row.duration_minutes
        if minutes is None:
            minutes = 0 if row.is_milestone else st.MINUTES_PER_DAY
        constraint, constraint_date = Constraint.ASAP, None
        if row.start:
            constraint, constraint_date = Constraint.SNET, row.start
        elif row.finish:
            constraint, constraint_date = Constraint.FNLT, row.finish
        return (
            pk,
            org,
            project.pk,
            ids[row.parent] if row.parent is not None else None,
            position,
            board_key,
            row.name,
            row.notes,
            minutes,
            row.is_milestone,
            constraint,
            constraint_date,
            people.get(row.assignee) if row.assignee else None,
        )

    bulk.insert(
        Task,
        (
            "id",
            "organisation_id",
            "project_id",
            "parent_id",
            "position",
            "board_key",
            "name",
            "description",
            "duration_minutes",
            "is_milestone",
            "constraint_type",
            "constraint_date",
            "assignee_id",
        ),
        (
            values(row, pk, position, board_key)
            for row, pk, position, board_key in zip(rows, ids, positions, board_keys, strict=True)
        ),
    )
    return ids


def _create_links(project: Project, rows: list[st.SheetTask], made: list[int]) -> None:
    flat = [
        (made[j], made[i], kind, lag, unit)
        for i, row in enumerate(rows)
        for j, kind, lag, unit in row.links
    ]
    org = project.organisation_id
    bulk.insert(
        Link,
        ("id", "organisation_id", "project_id", "pred_id", "succ_id", "type", "lag", "lag_unit"),
        (
            (pk, org, project.pk, *link)
            for pk, link in zip(bulk.allocate_ids(Link, len(flat)), flat, strict=True)
        ),
    )


def preview_rows(checked: Checked, limit: int = SHOWN_ROWS) -> list[dict[str, Any]]:
    """The first rows as the page and the API show them: what each task will be."""
    out = []
    for task in checked.tasks[:limit]:
        out.append(
            {
                "row": task.row,
                "id": task.ident,
                "name": task.name,
                "level": task.level,
                "duration_days": None
                if task.duration_minutes is None
                else round(task.duration_minutes / st.MINUTES_PER_DAY, 2),
                "milestone": task.is_milestone,
                "start": task.start,
                "finish": task.finish,
                "predecessors": ", ".join(
                    f"{checked.tasks[j].ident}{kind}"
                    + (f"{'+' if lag >= 0 else ''}{lag}{unit}" if lag else "")
                    for j, kind, lag, unit in task.links
                ),
                "assignee": task.assignee,
            }
        )
    return out


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else ""
