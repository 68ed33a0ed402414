"""API for projects, tasks, links, baselines and board moves (same services as the pages)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.db import connection
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from twofold.accounts.models import Membership, Organisation, User
from twofold.accounts.selectors import get_organisation
from twofold.core.api_lists import SYNCED, UPDATED_SINCE, Moment, Sync, SyncQuery, synced_page
from twofold.core.api_schemas import READ, WRITE, BodyIn, ErrorOut
from twofold.core.errors import Invalid, NotFound
from twofold.core.fastread import one_round_trip
from twofold.core.web import actor_of
from twofold.projects import selectors, services
from twofold.projects.models import Baseline, Link, Programme, Project, Task, current_baseline
from twofold.projects.scheduling import Schedule

router = Router(tags=["projects"])

PhaseName = Literal["initiation", "planning", "execution", "closure"]
StatusName = Literal["todo", "doing", "review", "done"]
LinkTypeName = Literal["FS", "SS", "FF", "SF"]
LagUnitName = Literal["d", "h", "%"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ConstraintName = Literal["asap", "snet", "fnlt", "mso"]
# Tasks per page of the task list: the largest demo project (2,000 tasks) reads in one request.
MAX_PAGE = 2000
MAX_OFFSET = 10**9
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """Only a ``YYYY-MM-DD`` string is a date (no numbers, no date-times, no booleans)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_type", "Send a date as YYYY-MM-DD.")
    return value


def _in_calendar(value: dt.date) -> dt.date:
    if not services.FIRST_DAY <= value <= services.LAST_DAY:
        raise PydanticCustomError("date_range", services.DATE_MESSAGE)
    return value


StrictDate = Annotated[dt.date, BeforeValidator(_iso_day), AfterValidator(_in_calendar)]
"""A strict, bounded date for input schemas (the calendars cover 1980-2149)."""


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    phase: PhaseName
    programme: str | None
    manager_id: int | None
    sponsor_id: int | None
    target_start: dt.date
    target_finish: dt.date | None
    scheduled_start: dt.datetime | None
    scheduled_finish: dt.datetime | None
    percent_complete: float
    calendar_id: int | None = None
    progress_rule: Literal["override", "retained"] = "override"
    status_date: dt.date | None = None
    reschedule_after_status: bool = False
    archived: bool = False
    version: int


class ProjectIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=160)
    code: StrictStr = Field(..., min_length=1, max_length=20)
    target_start: StrictDate
    target_finish: StrictDate | None = None
    objectives: StrictStr = ""
    scope: StrictStr = ""
    programme_id: StrictInt | None = None


class TaskOut(BaseModel):
    """A plain pydantic model (not a ninja Schema): pages of 500 tasks validate 5x faster."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    position: str
    name: str
    duration_minutes: int
    is_milestone: bool
    is_summary: bool
    status: StatusName
    priority: PriorityName
    percent_complete: int
    assignee_id: int | None
    start: dt.datetime | None
    finish: dt.datetime | None
    total_float_minutes: int
    is_critical: bool
    board_key: str
    version: int


class TaskPage(BaseModel):
    count: int
    offset: int
    limit: int
    items: list[TaskOut]


class _TaskRow(TypedDict):
    """A task list row as the database gives it (``values()``): serialised without a model."""

    id: int
    parent_id: int | None
    position: str
    name: str
    duration_minutes: int
    is_milestone: bool
    is_summary: bool
    status: str
    priority: str
    percent_complete: int
    assignee_id: int | None
    start: dt.datetime | None
    finish: dt.datetime | None
    total_float_minutes: int
    is_critical: bool
    board_key: str
    version: int


class _TaskRowPage(TypedDict):
    count: int
    offset: int
    limit: int
    items: list[_TaskRow]


# The task list's JSON, written by pydantic-core in one pass over plain dicts: no model per row,
# no second validation by ninja, no json.dumps callback per datetime (docs/benchmarks-web.md).
_TASK_PAGE_JSON = TypeAdapter(_TaskRowPage)
assert list(_TaskRow.__annotations__) == list(TaskOut.model_fields), "the row is the schema"


class _TaskRowText(TypedDict):
    """As :class:`_TaskRow`, with the instants already written as JSON text (SQLite fast path)."""

    id: int
    parent_id: int | None
    position: str
    name: str
    duration_minutes: int
    is_milestone: bool
    is_summary: bool
    status: str
    priority: str
    percent_complete: int
    assignee_id: int | None
    start: str | None
    finish: str | None
    total_float_minutes: int
    is_critical: bool
    board_key: str
    version: int


class _TaskRowTextPage(TypedDict):
    count: int
    offset: int
    limit: int
    items: list[_TaskRowText]


_TASK_PAGE_TEXT_JSON = TypeAdapter(_TaskRowTextPage)
assert list(_TaskRowText.__annotations__) == list(TaskOut.model_fields)
_INSTANTS = tuple(i for i, f in enumerate(TaskOut.model_fields) if f in ("start", "finish"))


def _sqlite_rows(tasks: QuerySet[Task]) -> list[_TaskRowText] | None:
    """The rows straight from the cursor, without Django's per-value converters.

    SQLite keeps an instant as naive UTC text (``2026-12-01 07:00:00``); written as JSON it is
    ``2026-12-01T07:00:00Z``, what pydantic writes for the aware datetime Django would build.
    None when a value is not in that whole-second form (the caller then takes the usual path).
    """
    # The instants cast to text: the sqlite3 module would otherwise parse each one (declared
    # type) into a naive datetime that Django then makes aware, per value.
    text = CharField()
    columns = [f"{f}_text" if i in _INSTANTS else f for i, f in enumerate(TaskOut.model_fields)]
    query = tasks.annotate(start_text=Cast("start", text), finish_text=Cast("finish", text))
    sql, params = query.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    for values in raw:  # the whole-second form, else the usual path
        for i in _INSTANTS:
            if values[i] is not None and (len(values[i]) != 19 or values[i][10] != " "):
                return None
    return [
        {
            "id": pk,
            "parent_id": parent_id,
            "position": position,
            "name": name,
            "duration_minutes": duration_minutes,
            "is_milestone": bool(is_milestone),
            "is_summary": bool(is_summary),
            "status": status,
            "priority": priority,
            "percent_complete": percent_complete,
            "assignee_id": assignee_id,
            "start": None if start is None else f"{start[:10]}T{start[11:]}Z",
            "finish": None if finish is None else f"{finish[:10]}T{finish[11:]}Z",
            "total_float_minutes": total_float_minutes,
            "is_critical": bool(is_critical),
            "board_key": board_key,
            "version": version,
        }
        for (
            pk,
            parent_id,
            position,
            name,
            duration_minutes,
            is_milestone,
            is_summary,
            status,
            priority,
            percent_complete,
            assignee_id,
            start,
            finish,
            total_float_minutes,
            is_critical,
            board_key,
            version,
        ) in raw
    ]


class TaskIn(Schema):
    name: StrictStr = Field(..., min_length=1, max_length=200)
    duration_minutes: StrictInt = Field(480, ge=0, le=960_000)
    is_milestone: StrictBool = False
    parent_id: StrictInt | None = None
    assignee_id: StrictInt | None = None
    status: StatusName = "todo"


class TaskPatch(Schema):
    # A field the API does not know (a misspelt one, or one only a page has) answers 422
    # naming it: ignored, the PATCH answered 200 and bumped the version with nothing changed.
    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    name: StrictStr | None = Field(None, min_length=1, max_length=200)
    description: StrictStr | None = None
    duration_minutes: StrictInt | None = Field(None, ge=0, le=960_000)
    status: StatusName | None = None
    priority: PriorityName | None = None
    percent_complete: StrictInt | None = Field(None, ge=0, le=100)
    assignee_id: StrictInt | None = None
    start_no_earlier_than: StrictDate | None = Field(
        None,
        description="Shorthand for constraint_type snet with this date (null: asap); not "
        "together with constraint_type or constraint_date.",
    )
    constraint_type: ConstraintName | None = Field(
        None,
        description="As the task page: asap, snet (start no earlier than), fnlt (finish no "
        "later than) or mso (must start on). Any but asap needs a date: constraint_date, or "
        "the task's current one; asap clears the date.",
    )
    constraint_date: StrictDate | None = Field(
        None, description="The constraint's day; alone, it changes the task's current constraint."
    )


# A PATCH may clear these with null; every other field needs a value.
PATCH_NULLABLE = {"assignee_id", "start_no_earlier_than", "constraint_date"}


class TaskRescheduledOut(Schema):
    moved: int
    summary: str


class TaskChangeOut(Schema):
    task: TaskOut
    rescheduled: TaskRescheduledOut | None


class LinkOut(Schema):
    id: int
    pred_id: int
    succ_id: int
    type: LinkTypeName
    lag: int
    lag_unit: LagUnitName


class LinkIn(Schema):
    pred_id: StrictInt
    succ_id: StrictInt
    type: LinkTypeName = "FS"
    lag: StrictInt = Field(0, ge=-1000, le=1000)
    lag_unit: LagUnitName = "d"
    pred_version: StrictInt | None = Field(
        None, description="The predecessor's version as you read it; a stale one answers 409."
    )
    succ_version: StrictInt | None = Field(
        None, description="The successor's version as you read it; a stale one answers 409."
    )


class BaselineOut(Schema):
    id: int
    number: int
    name: str
    created_at: dt.datetime
    finish: dt.datetime | None
    current: bool = Field(
        False,
        description="The current baseline (the one saved last): health, percent planned and "
        "earned value measure against it.",
    )


class BaselineIn(BodyIn):
    name: StrictStr = Field("Baseline", max_length=80)
    number: StrictInt | None = Field(
        None, ge=0, le=10, description="Null: the first free number (0–10)."
    )
    replaces_id: StrictInt | None = Field(
        None,
        description="To replace the baseline that holds `number`: its id, as you read it. "
        "A number in use without it, or with another id (someone saved it since), answers 409.",
    )


class TaskMoveIn(Schema):
    version: StrictInt = Field(..., description="The card's version; a stale one answers 409.")
    status: StatusName
    before_id: StrictInt | None = None
    after_id: StrictInt | None = None


def _org(request: HttpRequest, org_id: int) -> Organisation:
    return get_organisation(request.user, org_id)


def _project(request: HttpRequest, org_id: int, project_id: int) -> Project:
    return selectors.get_project(request.user, _org(request, org_id), project_id)


def _project_and_task(
    request: HttpRequest, org_id: int, project_id: int, task_id: int
) -> tuple[Project, Task]:
    """The project and its task, both read in one round trip on PostgreSQL (before any write:
    callers write after this returns)."""
    reads = [selectors.project_read(project_id), selectors.task_read(task_id, project_id)]
    with one_round_trip(reads):
        project = _project(request, org_id, project_id)
        return project, selectors.get_task(request.user, project, task_id)


def _project_out(p: Project) -> ProjectOut:
    return ProjectOut(
        id=p.pk,
        code=p.code,
        name=p.name,
        phase=p.phase,  # type: ignore[arg-type]
        programme=p.programme.name if p.programme else None,
        manager_id=p.manager_id,
        sponsor_id=p.sponsor_id,
        target_start=p.target_start,
        target_finish=p.target_finish,
        scheduled_start=p.scheduled_start,
        scheduled_finish=p.scheduled_finish,
        percent_complete=p.percent_complete,
        calendar_id=p.calendar_id,
        progress_rule="retained" if p.progress_rule == "retained" else "override",
        status_date=p.status_date,
        reschedule_after_status=p.reschedule_after_status,
        archived=p.archived_at is not None,
        version=p.version,
    )


def _task_out(t: Task) -> TaskOut:
    return TaskOut.model_validate(t, from_attributes=True)


def _moved(schedule: Schedule | None) -> TaskRescheduledOut | None:
    return (
        TaskRescheduledOut(moved=len(schedule.moved), summary=schedule.summary)
        if schedule
        else None
    )


def _person(org_id: int, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or not Membership.objects.filter(organisation_id=org_id, user=user).exists():
        raise Invalid("Choose a member of the organisation.", field=field)
    return user


def _task(project: Project, task_id: int | None, field: str) -> Task | None:
    if task_id is None:
        return None
    task = Task.objects.filter(pk=task_id, project=project).first()
    if task is None:
        raise Invalid("No such task in this project.", field=field)
    task.project = project
    return task


@router.get("/organisations/{org_id}/projects", response={200: list[ProjectOut], **SYNCED})
def list_projects(
    request: HttpRequest, org_id: int, sync: Sync, reply: HttpResponse, archived: bool = False
) -> list[ProjectOut]:
    """Active projects; ``archived=true`` lists archived ones too."""
    projects = selectors.projects_of(_org(request, org_id)).order_by("name", "pk")
    if not archived:
        projects = projects.filter(archived_at__isnull=True)
    page = synced_page(request, projects, sync)
    page.stamp(reply)
    return [_project_out(p) for p in page.rows]


@router.post("/organisations/{org_id}/projects", response={201: ProjectOut, **WRITE})
def create_project(request: HttpRequest, org_id: int, payload: ProjectIn) -> Status[ProjectOut]:
    org = _org(request, org_id)
    values = payload.model_dump(exclude={"programme_id"})
    if payload.programme_id is not None:
        values["programme"] = Programme.objects.filter(
            pk=payload.programme_id, organisation=org
        ).first()
        if values["programme"] is None:
            raise Invalid("Choose a programme of this organisation.", field="programme_id")
    project = services.create_project(actor=actor_of(request), organisation=org, **values)
    return Status(201, _project_out(project))


@router.get("/organisations/{org_id}/projects/{project_id}", response={200: ProjectOut, **READ})
def get_project(request: HttpRequest, org_id: int, project_id: int) -> ProjectOut:
    return _project_out(_project(request, org_id, project_id))


@router.get(
    "/organisations/{org_id}/projects/{project_id}/tasks",
    response={200: TaskPage, **SYNCED},
)
def list_tasks(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 100,
    updated_since: Annotated[Moment | None, Field(description=UPDATED_SINCE)] = None,
) -> TaskPage:
    """Tasks in outline order; page with ``offset`` and ``limit`` (at most 2,000 per request)."""
    project = _project(request, org_id, project_id)
    tasks = Task.objects.filter(project=project).order_by("position")
    synced = synced_page(
        request,
        tasks,
        SyncQuery.model_construct(updated_since=updated_since),  # paged by its own parameters
        offset=offset,
        limit=limit,
        # Dates the scheduler moved after a change elsewhere have no history entry of their own.
        stamps=("rescheduled_at",),
    )
    fast = _sqlite_rows(synced.rows) if connection.vendor == "sqlite" else None
    rows: list[Any] = fast if fast is not None else list(synced.rows.values(*TaskOut.model_fields))
    page = {"count": synced.count, "offset": offset, "limit": limit, "items": rows}
    adapter: Any = _TASK_PAGE_TEXT_JSON if fast is not None else _TASK_PAGE_JSON
    response = HttpResponse(adapter.dump_json(page), content_type="application/json; charset=utf-8")
    return synced.stamp(response)  # type: ignore[return-value]


@router.get(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}",
    response={200: TaskOut, **READ},
    summary="One task, with its version (a stale edit's 409 carries this as `current`)",
)
def get_task(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> TaskOut:
    return _task_out(_project_and_task(request, org_id, project_id, task_id)[1])


@router.post(
    "/organisations/{org_id}/projects/{project_id}/tasks", response={201: TaskChangeOut, **WRITE}
)
def create_task(
    request: HttpRequest, org_id: int, project_id: int, payload: TaskIn
) -> Status[TaskChangeOut]:
    project = _project(request, org_id, project_id)
    task, moved = services.create_task(
        actor=actor_of(request),
        project=project,
        name=payload.name,
        parent=_task(project, payload.parent_id, "parent_id"),
        assignee=_person(project.organisation_id, payload.assignee_id, "assignee_id"),
        duration_minutes=0 if payload.is_milestone else payload.duration_minutes,
        is_milestone=payload.is_milestone or payload.duration_minutes == 0,
        status=payload.status,
    )
    task.refresh_from_db()
    return Status(201, TaskChangeOut(task=_task_out(task), rescheduled=_moved(moved)))


@router.patch(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}",
    response={200: TaskChangeOut, **WRITE},
)
def patch_task(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskPatch
) -> TaskChangeOut:
    project, task = _project_and_task(request, org_id, project_id, task_id)
    sent = payload.model_fields_set
    values = payload.model_dump(
        exclude_unset=True, exclude={"version", "assignee_id", "start_no_earlier_than"}
    )
    for key in sorted(sent - PATCH_NULLABLE - {"version"}):
        if getattr(payload, key) is None:
            raise Invalid(f"{key} cannot be null.", field=key)
    if "assignee_id" in sent:
        values["assignee"] = _person(project.organisation_id, payload.assignee_id, "assignee_id")
    if "start_no_earlier_than" in sent:
        if sent & {"constraint_type", "constraint_date"}:
            raise Invalid(
                "Send start_no_earlier_than or constraint_type and constraint_date, not both.",
                field="start_no_earlier_than",
            )
        day = payload.start_no_earlier_than
        values["constraint_type"] = "snet" if day else "asap"
        values["constraint_date"] = day
    # One of the two alone keeps the other as it is (the service checks the pair as the task
    # page's: a constraint but asap needs a date, a summary takes none).
    if "constraint_type" in sent and "constraint_date" not in sent:
        values["constraint_date"] = task.constraint_date
    if "constraint_date" in sent and "constraint_type" not in sent:
        if payload.constraint_date is not None and task.constraint_type == "asap":
            raise Invalid(
                f"{task.name} has no constraint (asap): send constraint_type with the date.",
                field="constraint_type",
            )
        values["constraint_type"] = task.constraint_type if payload.constraint_date else "asap"
    if "duration_minutes" in values:
        # As on the task pages: a duration of 0 makes a milestone, any other clears it.
        values["is_milestone"] = services.milestone_after(task, values["duration_minutes"])
    task, moved = services.update_task(
        actor=actor_of(request), task=task, expected_version=payload.version, **values
    )
    return TaskChangeOut(task=_task_out(task), rescheduled=_moved(moved))


class DeletionOut(Schema):
    """What deleting a task takes with it (its whole subtree), as the page asks before."""

    subtasks: list[str]
    links: int
    comments: int
    attachments: int


@router.get(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/deletion",
    response={200: DeletionOut, **READ},
)
def task_deletion(request: HttpRequest, org_id: int, project_id: int, task_id: int) -> DeletionOut:
    project = _project(request, org_id, project_id)
    impact = selectors.deletion_impact(selectors.get_task(request.user, project, task_id))
    return DeletionOut(
        subtasks=impact.subtasks,
        links=impact.links,
        comments=impact.comments,
        attachments=impact.attachments,
    )


@router.delete(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}",
    response={204: None, **WRITE},
)
def delete_task(
    request: HttpRequest,
    org_id: int,
    project_id: int,
    task_id: int,
    version: int | None = None,
) -> Status[None]:
    """Move the task and its subtasks to the trash. ``version``: the task's version as you read
    it (409 if someone changed it since); without it, whatever it is now."""
    project = _project(request, org_id, project_id)
    services.delete_task(
        actor=actor_of(request),
        task=selectors.get_task(request.user, project, task_id),
        expected_version=version,
    )
    return Status(204, None)


@router.post(
    "/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/move",
    response={200: TaskChangeOut, **WRITE},
)
def move_card(
    request: HttpRequest, org_id: int, project_id: int, task_id: int, payload: TaskMoveIn
) -> TaskChangeOut:
    project, task = _project_and_task(request, org_id, project_id, task_id)
    task, moved = services.move_card(
        actor=actor_of(request),
        task=task,
        status=payload.status,
        before=_task(project, payload.before_id, "before_id"),
        after=_task(project, payload.after_id, "after_id"),
        expected_version=payload.version,
    )
    return TaskChangeOut(task=_task_out(task), rescheduled=_moved(moved))


@router.get(
    "/organisations/{org_id}/projects/{project_id}/links", response={200: list[LinkOut], **READ}
)
def list_links(request: HttpRequest, org_id: int, project_id: int) -> list[LinkOut]:
    project = _project(request, org_id, project_id)
    return [
        LinkOut.model_validate(link, from_attributes=True)
        for link in Link.objects.filter(project=project)
    ]


@router.post(
    "/organisations/{org_id}/projects/{project_id}/links", response={201: LinkOut, **WRITE}
)
def create_link(
    request: HttpRequest, org_id: int, project_id: int, payload: LinkIn
) -> Status[LinkOut]:
    project = _project(request, org_id, project_id)
    pred = _task(project, payload.pred_id, "pred_id")
    succ = _task(project, payload.succ_id, "succ_id")
    assert pred is not None and succ is not None
    link, _ = services.add_link(
        actor=actor_of(request),
        project=project,
        pred=pred,
        succ=succ,
        type=payload.type,
        lag=payload.lag,
        lag_unit=payload.lag_unit,
        pred_version=payload.pred_version,
        succ_version=payload.succ_version,
    )
    return Status(201, LinkOut.model_validate(link, from_attributes=True))


@router.delete(
    "/organisations/{org_id}/projects/{project_id}/links/{link_id}",
    response={204: None, **WRITE},
)
def delete_link(request: HttpRequest, org_id: int, project_id: int, link_id: int) -> Status[None]:
    project = _project(request, org_id, project_id)
    services.delete_link(actor=actor_of(request), link=selectors.get_link(project, link_id))
    return Status(204, None)


@router.get(
    "/organisations/{org_id}/projects/{project_id}/baselines",
    response={200: list[BaselineOut], **READ},
)
def list_baselines(request: HttpRequest, org_id: int, project_id: int) -> list[BaselineOut]:
    project = _project(request, org_id, project_id)
    held = list(Baseline.objects.filter(project=project))
    current = current_baseline(held)
    return [
        BaselineOut.model_validate(b, from_attributes=True).model_copy(
            update={"current": b == current}
        )
        for b in held
    ]


@router.post(
    "/organisations/{org_id}/projects/{project_id}/baselines",
    response={201: BaselineOut, **WRITE},
)
def create_baseline(
    request: HttpRequest, org_id: int, project_id: int, payload: BaselineIn
) -> Status[BaselineOut]:
    project = _project(request, org_id, project_id)
    b = services.save_baseline(
        actor=actor_of(request),
        project=project,
        name=payload.name,
        number=payload.number,
        replaces=payload.replaces_id,
    )
    # The baseline just saved is the current one.
    return Status(
        201,
        BaselineOut.model_validate(b, from_attributes=True).model_copy(update={"current": True}),
    )


__all__ = ["ErrorOut", "NotFound", "router"]


# --- The project's calendar (working time) ---------------------------------------------------


class ProjectCalendarIn(Schema):
    version: StrictInt = Field(..., description="The version you read; a stale one answers 409.")
    calendar_id: StrictInt | None = Field(
        ..., description="A calendar of the organisation, or null for its default."
    )


class ProjectCalendarOut(Schema):
    project: ProjectOut
    rescheduled: TaskRescheduledOut | None


@router.put(
    "/organisations/{org_id}/projects/{project_id}/calendar",
    response={200: ProjectCalendarOut, **WRITE},
)
def put_project_calendar(
    request: HttpRequest, org_id: int, project_id: int, payload: ProjectCalendarIn
) -> ProjectCalendarOut:
    """Schedule the project on another calendar (null = the organisation's default)."""
    from twofold.calendars.models import Calendar

    project = _project(request, org_id, project_id)
    calendar = None
    if payload.calendar_id is not None:
        calendar = Calendar.objects.filter(pk=payload.calendar_id, organisation_id=org_id).first()
        if calendar is None:
            raise Invalid("No such calendar in this organisation.", field="calendar_id")
    project, moved = services.update_project(
        actor=actor_of(request),
        project=project,
        expected_version=payload.version,
        calendar=calendar,
    )
    return ProjectCalendarOut(project=_project_out(project), rescheduled=_moved(moved))
