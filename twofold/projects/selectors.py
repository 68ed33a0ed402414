"""Reads for projects, each scoped to the organisation and built with a constant number of queries."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape as _escape
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    CharField,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString, mark_safe

from twofold.accounts.models import Organisation, User
from twofold.calendars.models import Calendar as WorkingCalendar
from twofold.calendars.working_time import STANDARD_SPEC, cached_spec, project_specs
from twofold.core import dates
from twofold.core.errors import NotFound
from twofold.core.fastread import FastRead, FastRows, Read, one_round_trip
from twofold.core.policy import Action, can
from twofold.engine.calendars import CalendarSpec, compile_calendar, working_seconds_between
from twofold.projects import health
from twofold.projects.models import (
    CURRENT_FIRST,
    Assignment,
    Baseline,
    BaselineTask,
    ChecklistItem,
    Gate,
    Link,
    Phase,
    Priority,
    Programme,
    ProgressSnapshot,
    Project,
    Task,
    TaskStatus,
)
from twofold.projects.progress import curve_at, curve_value, sparkline_points
from twofold.projects.scheduling import DayBounds, compiled_calendar
from twofold.projects.services import tz_of
from twofold.risks.models import HIGH_SCORE
from twofold.risks.selectors import (
    ACTIVE_RISK_STATUSES,
    open_high_risk_counts,
    open_high_risks_of,
)

DAY_SECONDS = 8 * 3600


def projects_of(organisation: Organisation) -> QuerySet[Project]:
    return (
        Project.objects.filter(organisation=organisation)
        .select_related("programme", "manager", "sponsor")
        .defer("planned_curve")
    )


# Every project page reads its project, every task page its task: compiled once (core/fastread.py)
# instead of building the ORM query with its joins on each request (~0.5 ms apiece).
# Project.objects.filter(pk=…).select_related("programme", "manager", "sponsor"), no ORDER BY,
# without the planned curve (the portfolio's, read there: ~10 KB of JSON on a 2,000-task plan,
# 0.3 ms of PostgreSQL's and psycopg's time on every project page).
_PROJECT_BY_ID = FastRead(
    Project,
    "t.id = %s AND t.deleted_at IS NULL",
    related=("programme", "manager", "sponsor"),
    defer=("planned_curve",),
)
# Task.objects.filter(pk=…, project=…).select_related("assignee", "parent"), no ORDER BY.
_TASK_BY_ID = FastRead(
    Task,
    "t.id = %s AND t.project_id = %s AND t.deleted_at IS NULL",
    related=("assignee", "parent"),
)


def project_read(project_id: int) -> Read:
    """:func:`get_project`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _PROJECT_BY_ID, [project_id]


def task_read(task_id: int, project_id: int) -> Read:
    """:func:`get_task`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _TASK_BY_ID, [task_id, project_id]


def get_project(user: Any, organisation: Organisation, project_id: int) -> Project:
    """The project if ``user`` may see it, else ``NotFound``."""
    project = _PROJECT_BY_ID.first(project_read(project_id)[1])
    if (
        project is None
        or project.organisation_id != organisation.pk
        or not can(user, Action.VIEW, project)
    ):
        raise NotFound("Project not found.")
    # The request's organisation (the same row, already read with the memberships) instead of
    # a fourth joined table: ~30 % of this query's cost on a detail page.
    project.organisation = organisation
    return project


def get_task(user: Any, project: Project, task_id: int) -> Task:
    task = _TASK_BY_ID.first(task_read(task_id, project.pk)[1])
    if task is None:
        raise NotFound("Task not found.")
    task.project = project
    return task


# task.checklist.all() of a task already read (live): compiled once, in the model's order.
_CHECKLIST = FastRead(ChecklistItem, "t.task_id = %s", order_by="t.id")


def checklist_of(task: Task) -> list[ChecklistItem]:
    """The checklist of ``task`` (read with :func:`get_task`, so not in the trash), in order."""
    return _CHECKLIST.all(checklist_read(task)[1])


def checklist_read(task: Task) -> Read:
    """:func:`checklist_of`'s read, to read ahead (``core.fastread.one_round_trip``)."""
    return _CHECKLIST, [task.pk]


def get_link(project: Project, link_id: int) -> Link:
    link = Link.objects.filter(pk=link_id, project=project).select_related("pred", "succ").first()
    if link is None:
        raise NotFound("Link not found.")
    link.project = project
    return link


def get_gate(project: Project, gate_id: int) -> Gate:
    gate = Gate.objects.filter(pk=gate_id, project=project).prefetch_related("items").first()
    if gate is None:
        raise NotFound("Gate not found.")
    gate.project = project
    return gate


# ---------------------------------------------------------------------------------------------
# Portfolio


@dataclass
class Card:
    project: Project
    health: health.Health
    percent_complete: float
    percent_planned: float
    next_milestone: str = ""
    next_milestone_date: dt.date | None = None
    sparkline: str = ""
    planned_sparkline: str = ""
    slip_days: float | None = None
    html: SafeString | None = None  # the rendered card, set by the portfolio view
    notes: list[str] = field(default_factory=list)  # lifecycle.add_card_notes


@functools.lru_cache(maxsize=4096)
def _working_days(a: dt.datetime, b: dt.datetime, spec: CalendarSpec | None = None) -> float:
    """Signed working days from ``a`` to ``b`` (naive local) on ``spec`` (Standard: None)."""
    cal = compile_calendar(spec) if spec is not None else compiled_calendar()
    if b >= a:
        return working_seconds_between(cal, a, b) / DAY_SECONDS
    return -working_seconds_between(cal, b, a) / DAY_SECONDS


def working_days_between(
    a: dt.datetime, b: dt.datetime, tzinfo: dt.tzinfo, spec: CalendarSpec | None = None
) -> float:
    """Signed working days from aware ``a`` to aware ``b`` on the project's calendar ``spec``
    (:func:`~twofold.projects.scheduling.calendar_spec`; its holidays do not count), 1 decimal."""
    return round(_working_days(_naive(a, tzinfo), _naive(b, tzinfo), spec), 1)


def _naive(value: dt.datetime, tzinfo: dt.tzinfo) -> dt.datetime:
    return timezone.localtime(value, tzinfo).replace(tzinfo=None)


# What a card, the project list, the reports and the CSV export read of ``Card.project``.
PORTFOLIO_FIELDS = (
    "id",
    "archived_at",
    "organisation_id",
    "programme_id",
    "manager_id",
    "name",
    "code",
    "phase",
    "target_start",
    "target_finish",
    "scheduled_start",
    "scheduled_finish",
    "percent_complete",
    "version",
    "status_date",
    "plan_stamp",
    "cost_stamp",
    "created_at",
    "calendar_id",
)
# Joining apps add their reasons to the cards' health before cards are filtered and sorted
# (cost from ``evm``), registered in their AppConfig.ready: projects imports none of them.
CARD_HEALTH_HOOKS: list[Any] = []


def _curve_parts(organisation: Organisation, day: dt.date) -> list[tuple[int, Any, Any, Any, Any]]:
    """Per project: the stored curve's first day, final value and values on ``day`` and the
    next day. On SQLite one ``JSON_EXTRACT`` of four paths parses each curve once (the key
    transforms parse it eight times)."""
    keys = [day.isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    projects = Project.objects.filter(organisation=organisation).order_by()
    if connection.vendor == "sqlite":
        paths = [Value("$.first"), Value("$.final"), *(Value(f'$.days."{k}"') for k in keys)]
        parts = Func(F("planned_curve"), *paths, function="JSON_EXTRACT", output_field=TextField())
        empty = [None] * 4
        return [
            (pk, *(json.loads(raw) if raw else empty))
            for pk, raw in projects.annotate(parts=parts).values_list("pk", "parts")
        ]
    days = KeyTransform("days", "planned_curve")
    return list(
        projects.values_list(
            "pk",
            KeyTextTransform("first", "planned_curve"),
            KeyTextTransform("final", "planned_curve"),
            *(KeyTextTransform(k, days) for k in keys),
        )
    )


def _in_signal(state: Any) -> dict[str, Any]:
    """One filter call's conditions (one join) for a project changing a process whose live KPI
    is in ``state``: an archived process's KPIs are left out, as on the signals page, and,
    joins ignoring the live managers, a KPI or process in the trash is no signal."""
    return {
        "process_changes__process__kpis__state": state,
        "process_changes__process__kpis__archived_at__isnull": True,
        "process_changes__process__archived_at__isnull": True,
        "process_changes__process__deleted_at__isnull": True,
        "process_changes__process__kpis__deleted_at__isnull": True,
    }


def processes_in_signal(organisation: Organisation) -> dict[int, tuple[str, ...]]:
    """Per project: the operations processes it changes whose live KPI is in signal (one query).

    The link (``process_changes``, owned by the improvement app) and the KPI state are read
    through relations, so projects imports neither the improvement nor the operations app.
    """
    rows = (
        Project.objects.filter(organisation=organisation, **_in_signal("signal"))
        .values_list("pk", "process_changes__process__name")
        .distinct()
        .order_by("pk", "process_changes__process__name")
    )
    found: dict[int, list[str]] = defaultdict(list)
    for pk, name in rows:
        found[pk].append(name)
    return {pk: tuple(names) for pk, names in found.items()}


def portfolio(
    organisation: Organisation,
    *,
    phase: str = "",
    health_level: str = "",
    manager: str = "",
    sort: str = "programme",
    sparklines: bool = True,
    include_archived: bool = True,
) -> list[Card]:
    """One card per project. Six queries whatever the number of projects, tasks and risks.

    Only milestones are read task by task; percent planned comes from the curve stored on the
    project when it was rescheduled or baselined (``progress.curve_at``)."""
    chosen_projects = Project.objects.filter(organisation=organisation)
    projects = list(chosen_projects.only(*PORTFOLIO_FIELDS).order_by("name"))
    # A few programmes and managers shared by many projects: one instance each, not one per row.
    programmes = {g.pk: g for g in Programme.objects.filter(organisation=organisation)}
    managers = {
        u.pk: u
        for u in User.objects.filter(pk__in={p.manager_id for p in projects if p.manager_id}).only(
            "full_name", "email"
        )
    }
    for p in projects:
        p.programme = programmes.get(p.programme_id) if p.programme_id else None
        p.manager = managers.get(p.manager_id) if p.manager_id else None
    if not include_archived:  # reports keep archived projects; pages hide them unless asked
        projects = [p for p in projects if p.archived_at is None]
    if phase:
        projects = [p for p in projects if p.phase == phase]
    if manager:
        projects = [p for p in projects if str(p.manager_id) == manager]
    now_utc = timezone.now().astimezone(dt.UTC)
    curves = {
        pk: curve_value(first, final, today, tomorrow, now_utc)
        for pk, first, final, today, tomorrow in _curve_parts(organisation, now_utc.date())
    }
    tzinfo = tz_of(organisation)
    now = timezone.now()
    specs = project_specs(organisation.pk)  # slip in each project's own working days
    milestones: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    # ``is_milestone__in=[True]`` is written ``IN (1)``: SQLite then uses the (organisation,
    # is_milestone) index, where a bare ``WHERE is_milestone`` scans every task of the org.
    open_milestones = Task.objects.filter(
        organisation=organisation, is_summary=False, is_milestone__in=[True]
    ).exclude(status=TaskStatus.DONE)
    for row in open_milestones.order_by().values_list("project_id", "pk", "name", "finish"):
        milestones[row[0]].append(row)
    current_baseline: dict[int, tuple[int, dt.datetime | None]] = {}
    # Open high risks (not closed, score >= 15) per project: one aggregated query.
    high_risks = open_high_risk_counts(organisation)
    in_signal = processes_in_signal(organisation)
    for pk, project_id, finish in (
        Baseline.objects.filter(organisation=organisation)
        .order_by("created_at", "number")
        .values_list("pk", "project_id", "finish")
    ):
        current_baseline[project_id] = (pk, finish)  # the last saved wins (CURRENT_FIRST)
    base_rows: dict[int, dict[int, Any]] = defaultdict(dict)
    # Only the open milestones' rows matter: probed by task (index on task_id), then kept when
    # they belong to the project's chosen baseline, instead of scanning whole baselines.
    chosen = {pk: project_id for project_id, (pk, _f) in current_baseline.items()}
    for baseline_id, task_id, finish in (
        BaselineTask.objects.filter(task_id__in=open_milestones.order_by().values("pk"))
        .order_by()
        .values_list("baseline_id", "task_id", "finish")
    ):
        if baseline_id in chosen:
            base_rows[chosen[baseline_id]][task_id] = finish
    cards = [
        _card(
            p,
            [
                (tid, name, finish, base_rows.get(p.pk, {}).get(tid))
                for _p, tid, name, finish in milestones[p.pk]
            ],
            percent_planned=curves.get(p.pk, 0.0),
            baseline_finish=current_baseline.get(p.pk, (0, None))[1],
            open_high_risks=high_risks.get(p.pk, 0),
            signal_processes=in_signal.get(p.pk, ()),
            tzinfo=tzinfo,
            now=now,
            spec=specs.get(p.calendar_id, specs[None]),
        )
        for p in projects
    ]
    for hook in CARD_HEALTH_HOOKS:
        hook(organisation, cards)
    if health_level:
        cards = [c for c in cards if c.health.level == health_level]
    rank = {"red": 0, "amber": 1, "green": 2, "not_planned": 3}
    phases = [v for v, _ in Phase.choices]
    keys = {
        "name": lambda c: c.project.name.lower(),
        "health": lambda c: (rank[c.health.level], c.project.name.lower()),
        "finish": lambda c: (c.project.scheduled_finish is None, c.project.scheduled_finish or now),
        "progress": lambda c: -c.percent_complete,
        "phase": lambda c: (phases.index(c.project.phase), c.project.name.lower()),
        "programme": lambda c: (
            c.project.programme is None,
            c.project.programme.name if c.project.programme else "",
            c.project.name.lower(),
        ),
    }
    cards.sort(key=keys.get(sort, keys["programme"]))
    if sparklines:
        add_sparklines(cards)
    return cards


def _card(
    p: Project,
    milestones: list[tuple[int, str, Any, Any]],
    *,
    percent_planned: float,
    baseline_finish: dt.datetime | None,
    open_high_risks: int,
    signal_processes: tuple[str, ...],
    tzinfo: Any,
    now: dt.datetime,
    spec: CalendarSpec | None = None,
) -> Card:
    """One project's card from its facts; ``milestones`` are its open milestones as (id, name,
    finish, finish in the project's current baseline or ``None``)."""
    overdue = 0
    next_ms: tuple[Any, str] | None = None
    for _tid, name, finish, base in milestones:
        if finish is None:
            continue
        due = base or finish
        if due < now:
            overdue += 1
        if next_ms is None or finish < next_ms[0]:
            next_ms = (finish, name)
    slip = None
    if baseline_finish and p.scheduled_finish:
        slip = round(
            _working_days(
                _naive(baseline_finish, tzinfo), _naive(p.scheduled_finish, tzinfo), spec
            ),
            1,
        )
    target_float = None
    if p.target_finish and p.scheduled_finish:
        # The end of the target day's working time on the project's calendar (18:00 on a
        # 09:00-18:00 one: at 17:00 a plan finishing that day at 18:00 read as late).
        cal = compile_calendar(spec) if spec is not None else compiled_calendar()
        target = DayBounds(cal)(p.target_finish)[1]
        target_float = round(_working_days(_naive(p.scheduled_finish, tzinfo), target, spec), 1)
    facts = health.Facts(
        planned=p.scheduled_finish is not None,
        slip_days=slip,
        target_float_days=target_float,
        overdue_milestones=overdue,
        percent_complete=p.percent_complete,
        percent_planned=percent_planned,
        open_high_risks=open_high_risks,
        signal_processes=signal_processes,
    )
    return Card(
        project=p,
        health=health.assess(facts),
        percent_complete=p.percent_complete,
        percent_planned=percent_planned,
        next_milestone=next_ms[1] if next_ms else "",
        # In the viewer's zone, as the card's finish and the task exports show dates.
        next_milestone_date=timezone.localtime(next_ms[0]).date() if next_ms else None,
        slip_days=slip,
    )


# One project's card (its overview page, the API's health): the facts that ``portfolio`` reads
# for every project of the organisation, read for this one only, compiled once per connection
# (core/fastread.py) and on PostgreSQL sent in one round trip.
def _current_baseline(project: Any, column: str) -> Subquery:
    """``column`` of ``project``'s current baseline (an ``OuterRef``), as a subquery."""
    return Subquery(
        Baseline.objects.filter(project_id=project).order_by(*CURRENT_FIRST).values(column)[:1]
    )


def _default_calendar(column: str) -> Subquery:
    """``column`` of the organisation's default calendar (its first calendar when none is the
    default: ``is_default`` tells), without a parameter to compile."""
    rows = WorkingCalendar.objects.filter(organisation_id=OuterRef("organisation_id"))
    return Subquery(rows.order_by("-is_default", "pk").values(column)[:1])


def _card_spec(organisation: Organisation, project: Project, facts: list[Any]) -> Any:
    """The project's calendar spec from the card's facts, as ``scheduling.calendar_spec``
    gives it (its own calendar, else the organisation's default, else Standard), no query."""
    own_revision, default_pk, default_flag, default_revision = facts
    if project.calendar_id is not None and own_revision is not None:
        return cached_spec(organisation.pk, project.calendar_id, own_revision)
    if default_pk is not None and default_flag:
        return cached_spec(organisation.pk, default_pk, default_revision)
    return STANDARD_SPEC


# Parameters in the order they are compiled: the risk subquery's, then the project's id.
_CARD_FACTS = FastRows(
    Project,
    lambda *params: (
        Project.objects.filter(pk=params[-1])
        .order_by()
        .annotate(
            base_finish=_current_baseline(OuterRef("pk"), "finish"),
            high_risks=open_high_risks_of(OuterRef("pk")),
            own_revision=Subquery(
                WorkingCalendar.objects.filter(pk=OuterRef("calendar_id")).values("revision")[:1]
            ),
            default_pk=_default_calendar("pk"),
            default_flag=_default_calendar("is_default"),
            default_revision=_default_calendar("revision"),
        )
        .values_list(
            "base_finish",
            "high_risks",
            "planned_curve",
            "own_revision",
            "default_pk",
            "default_flag",
            "default_revision",
        )
    ),
)
_CARD_MILESTONES = FastRows(
    Task,
    lambda project_id, done: (
        Task.objects.filter(project_id=project_id, is_summary=False, is_milestone=True)
        .exclude(status=done)
        .annotate(
            base=Subquery(
                BaselineTask.objects.filter(
                    baseline_id=_current_baseline(OuterRef(OuterRef("project_id")), "pk"),
                    task_id=OuterRef("pk"),
                ).values("finish")[:1]
            )
        )
        .order_by()
        .values_list("pk", "name", "finish", "base")
    ),
)
_CARD_SIGNALS = FastRows(
    Project,
    lambda project_id, state: (
        Project.objects.filter(pk=project_id, **_in_signal(state))
        .values_list("process_changes__process__name")
        .distinct()
        .order_by("process_changes__process__name")
    ),
)


def card_reads(project_id: int) -> list[Read]:
    """:func:`project_card`'s reads, to read ahead (``core.fastread.one_round_trip``)."""
    return [
        (_CARD_FACTS, [HIGH_SCORE, *ACTIVE_RISK_STATUSES, project_id]),
        (_CARD_MILESTONES, [project_id, TaskStatus.DONE.value]),
        (_CARD_SIGNALS, [project_id, "signal"]),
    ]


def project_card(organisation: Organisation, project: Project) -> Card:
    """``project``'s portfolio card: the same facts, rules and health hooks as
    :func:`portfolio`, without the sparkline."""
    facts, milestones, signals = card_reads(project.pk)
    with one_round_trip([facts, milestones, signals]):
        base_finish, high_risks, curve, *calendar = _CARD_FACTS.rows(*facts[1])[0]
        rows = _CARD_MILESTONES.rows(*milestones[1])
        names = tuple(name for (name,) in _CARD_SIGNALS.rows(*signals[1]))
    tzinfo = tz_of(organisation)
    now = timezone.now()
    card = _card(
        project,
        [(pk, name, _aware(finish), _instant(base)) for pk, name, finish, base in rows],
        # the curve as the driver gives it (text on both backends: Django reads jsonb as text);
        # the project read for the page leaves this large column out
        percent_planned=curve_at(json.loads(curve) if isinstance(curve, str) else curve, now),
        baseline_finish=_instant(base_finish),
        open_high_risks=high_risks or 0,
        signal_processes=names,
        tzinfo=tzinfo,
        now=now,
        spec=_card_spec(organisation, project, calendar),
    )
    for hook in CARD_HEALTH_HOOKS:
        hook(organisation, [card])
    return card


def add_sparklines(cards: list[Card]) -> None:
    """Progress of the last 60 days from the daily snapshots (one query for all ``cards``)."""
    history: dict[int, list[tuple[float, float]]] = defaultdict(list)
    since = timezone.localdate() - dt.timedelta(days=60)
    for pid, done, planned in (
        ProgressSnapshot.objects.filter(
            project_id__in=[c.project.pk for c in cards], date__gte=since
        )
        .order_by("date")
        .values_list("project_id", "percent_complete", "percent_planned")
    ):
        history[pid].append((done, planned))
    for card in cards:
        points = history[card.project.pk]
        card.sparkline = sparkline_points([d for d, _ in points])
        card.planned_sparkline = sparkline_points([pl for _, pl in points])


def group_by_programme(cards: list[Card]) -> list[tuple[str, list[Card]]]:
    groups: dict[str, list[Card]] = {}
    for c in cards:
        key = c.project.programme.name if c.project.programme else "Other projects"
        groups.setdefault(key, []).append(c)
    return sorted(groups.items(), key=lambda kv: (kv[0] == "Other projects", kv[0]))


# ---------------------------------------------------------------------------------------------
# WBS


@dataclass
class Row:
    task: Task
    depth: int
    wbs: str
    preds: list[Link] = field(default_factory=list)


GANTT_FIELDS = (
    "pk",
    "project_id",
    "parent_id",
    "position",
    "name",
    "start",
    "finish",
    "is_summary",
    "is_milestone",
    "is_critical",
    "percent_complete",
    "duration_minutes",
    "total_float_minutes",
    "version",
    "assignee_id",
    "actual_start",
)


def wbs_rows(project: Project, *, for_gantt: bool = False) -> list[Row]:
    """The task tree in display order (depth-first by position) with WBS numbers and links.

    ``for_gantt`` reads only what the chart draws and leaves out the predecessor lists."""
    tasks_qs = Task.objects.filter(project=project).order_by("position")
    if for_gantt:
        # No User objects: the chart only needs the assignee's name.
        tasks_qs = tasks_qs.only(*GANTT_FIELDS).annotate(
            assignee_name=Coalesce(
                NullIf("assignee__full_name", Value("")),
                "assignee__email",
                output_field=CharField(),
            )
        )
    else:
        tasks_qs = tasks_qs.select_related("assignee")
    tasks = list(tasks_qs)
    preds: dict[int, list[Link]] = defaultdict(list)
    if not for_gantt:
        for link in Link.objects.filter(project=project).select_related("pred"):
            preds[link.succ_id].append(link)
    children: dict[int | None, list[Task]] = defaultdict(list)
    for t in tasks:
        if not for_gantt:
            t.project = project
        children[t.parent_id].append(t)
    out: list[Row] = []

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for i, t in enumerate(children.get(parent, []), start=1):
            number = f"{prefix}{i}"
            out.append(Row(t, depth, number, preds.get(t.pk, [])))
            walk(t.pk, depth + 1, number + ".")

    walk(None, 0, "")
    return out


class OutlineRow(NamedTuple):
    """A task's place in the tree, without its dates (enough to number and fold a long plan).

    A named tuple: a frozen dataclass's ``__init__`` cost ~3x more for the 2,000 rows of a big
    plan read on every Gantt page."""

    pk: int
    depth: int
    wbs: str
    is_summary: bool
    is_critical: bool


def raw_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset straight from the database cursor: no per-value
    converters (on SQLite, booleans stay 0/1 and datetimes stay ISO strings: see ``raw_instant``).
    For the Gantt's hot path, where Django's converters were a third of the read time."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. ``pk__in=[]``: Django knows there is nothing to read
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def raw_instant(value: Any) -> dt.datetime | None:
    """A datetime column read raw, as an aware datetime (SQLite stores naive UTC text, or its
    driver parses it to a naive datetime; PostgreSQL answers aware datetimes already)."""
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    # SQLite's driver may parse the declared type itself (naive, stored in UTC by Django).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def outline(project: Project) -> list[OutlineRow]:
    """The whole task tree in display order as plain tuples: one query, no model instances."""
    children: dict[int | None, list[tuple[Any, ...]]] = defaultdict(list)
    for row in raw_rows(
        Task.objects.filter(project=project)
        .order_by("position")
        .values_list("pk", "parent_id", "is_summary", "is_critical")
    ):
        children[row[1]].append(row)
    out: list[OutlineRow] = []
    append, get = out.append, children.get
    make = tuple.__new__  # OutlineRow's generated __new__ is a Python call per row
    # Iterative depth-first walk (children in position order), numbered as wbs_rows numbers them:
    # a stack of (the remaining children of a level, their depth, their number's prefix).
    stack: list[tuple[Iterator[tuple[int, tuple[Any, ...]]], int, str]] = [
        (enumerate(get(None, ()), 1), 0, "")
    ]
    while stack:
        level, depth, prefix = stack[-1]
        for i, (pk, _parent, summary, critical) in level:
            number = f"{prefix}{i}"
            append(make(OutlineRow, (pk, depth, number, bool(summary), bool(critical))))
            kids = get(pk)
            if kids:
                stack.append((enumerate(kids, 1), depth + 1, number + "."))
                break
        else:
            stack.pop()
    return out


def wbs_page(project: Project, shown: list[OutlineRow]) -> list[Row]:
    """The rows of the tasks table for ``shown`` (a page of :func:`outline`): those tasks with
    their assignee and predecessors, in the outline's order and numbering (two queries).

    A 2,000-task plan's table shows 250 rows a page; reading every task and link as model
    instances (:func:`wbs_rows`) took most of the page's time."""
    ids = [r.pk for r in shown]
    tasks = {
        t.pk: t for t in Task.objects.filter(project=project, pk__in=ids).select_related("assignee")
    }
    preds: dict[int, list[Link]] = defaultdict(list)
    for link in (
        Link.objects.filter(project=project, succ_id__in=ids)
        .select_related("pred")
        .only("pk", "pred", "succ_id", "type", "lag", "lag_unit", "pred__name")
        .order_by("pk")
    ):
        preds[link.succ_id].append(link)
    out = []
    for r in shown:
        task = tasks.get(r.pk)
        if task is None:  # deleted between the two reads
            continue
        task.project = project
        out.append(Row(task, r.depth, r.wbs, preds.get(r.pk, [])))
    return out


class ChartTask:
    """What the Gantt draws of a task: a slotted row read as a tuple (no model instance)."""

    __slots__ = (
        "actual_start",
        "assignee_id",
        "assignee_name",
        "duration_minutes",
        "finish",
        "is_critical",
        "is_milestone",
        "is_summary",
        "name",
        "percent_complete",
        "pk",
        "start",
        "total_float_minutes",
        "version",
    )

    FIELDS = (
        "pk",
        "name",
        "start",
        "finish",
        "is_summary",
        "is_milestone",
        "is_critical",
        "percent_complete",
        "duration_minutes",
        "total_float_minutes",
        "version",
        "assignee_id",
        "actual_start",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.pk,
            self.name,
            start,
            finish,
            summary,
            milestone,
            critical,
            self.percent_complete,
            self.duration_minutes,
            self.total_float_minutes,
            self.version,
            self.assignee_id,
            self.actual_start,  # as the database returns it: only whether it is set is used
            self.assignee_name,
        ) = row
        self.start = raw_instant(start)
        self.finish = raw_instant(finish)
        self.is_summary = bool(summary)
        self.is_milestone = bool(milestone)
        self.is_critical = bool(critical)


def gantt_rows(project: Project, shown: list[OutlineRow]) -> list[Row]:
    """The drawn fields of the tasks in ``shown`` (one page), in that order, as ``Row``s of
    :class:`ChartTask` (raw tuples: 250 rows cost ~1 ms instead of model instances' ~6 ms)."""
    queryset = (
        # No ordering: the rows are keyed by pk and put in ``shown``'s order below, and the
        # model's default order joined the project table and sorted for nothing.
        Task.objects.filter(project=project, pk__in=[r.pk for r in shown])
        .order_by()
        .annotate(
            assignee_name=Coalesce(
                NullIf("assignee__full_name", Value("")),
                "assignee__email",
                output_field=CharField(),
            )
        )
        .values_list(*ChartTask.FIELDS, "assignee_name")
    )
    tasks = {row[0]: ChartTask(row) for row in raw_rows(queryset)}
    return [Row(tasks[r.pk], r.depth, r.wbs) for r in shown if r.pk in tasks]  # type: ignore[arg-type]


def plan_extent(
    project: Project, baseline: Baseline | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """First start and last finish of the plan and of ``baseline`` (aggregates in SQL)."""
    span = Task.objects.filter(project=project).aggregate(first=Min("start"), last=Max("finish"))
    if span["first"] is None or span["last"] is None:
        return None
    dates_first = [span["first"]]
    dates_last = [span["last"]]
    if baseline is not None:
        base = BaselineTask.objects.filter(baseline=baseline).aggregate(
            s0=Min("start"), s1=Max("start"), f0=Min("finish"), f1=Max("finish")
        )
        found = [d for d in base.values() if d is not None]
        dates_first += found
        dates_last += found
    return min(dates_first), max(dates_last)


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting a task takes with it (the task's whole subtree)."""

    task_ids: list[int]
    subtasks: list[str]  # names of the tasks under it, in WBS order
    links: int
    comments: int
    attachments: int

    @property
    def items(self) -> list[str]:
        """ "3 subtasks", "1 link"... (only the non-zero ones)."""
        out = []
        for n, word in (
            (len(self.subtasks), "subtask"),
            (self.links, "link"),
            (self.comments, "comment"),
            (self.attachments, "attachment"),
        ):
            if n:
                out.append(f"{n:,} {word}{'s' if n != 1 else ''}")
        return out

    @property
    def signature(self) -> str:
        """What the confirmation showed, to compare with what a delete would take now."""
        return f"{len(self.task_ids)}:{self.links}:{self.comments}:{self.attachments}"


def deletion_impact(task: Task) -> DeletionImpact:
    """The subtree under ``task`` and what hangs on it: four queries, whatever its size."""
    from twofold.attachments.models import Attachment, TargetKind
    from twofold.comments.models import Comment

    children: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    for pk, parent_id, name in (
        Task.objects.filter(project_id=task.project_id)
        .order_by("position")
        .values_list("pk", "parent_id", "name")
    ):
        children[parent_id].append((pk, name))
    ids, names, stack = [task.pk], [], list(reversed(children.get(task.pk, [])))
    while stack:
        pk, name = stack.pop()
        ids.append(pk)
        names.append(name)
        stack.extend(reversed(children.get(pk, [])))
    links = (
        Link.objects.filter(project_id=task.project_id)
        .filter(Q(pred_id__in=ids) | Q(succ_id__in=ids))
        .count()
    )
    return DeletionImpact(
        task_ids=ids,
        subtasks=names,
        links=links,
        comments=Comment.objects.filter(
            target_kind="task", target_id__in=ids, deleted_at__isnull=True
        ).count(),
        attachments=Attachment.objects.filter(
            target_kind=TargetKind.TASK, target_id__in=ids
        ).count(),
    )


LINKS_SHOWN = 25
"""How many links the tasks page lists at once (a 2,000-task plan has about 5,600)."""


@dataclass(frozen=True)
class LinkList:
    links: list[Link]  # the newest first, at most LINKS_SHOWN
    total: int  # links of the project
    matching: int  # links that match the query (all of them without one)
    query: str


def links_of(project: Project, query: str = "", limit: int = LINKS_SHOWN) -> LinkList:
    """The project's links, newest first: all of them, or those whose predecessor or successor
    name contains ``query`` (case-insensitive); at most ``limit`` of them. Two queries, three
    with ``query`` (the matching ones are counted too), whatever the number of links.
    """
    every = Link.objects.filter(project=project)
    chosen = every
    if query:
        chosen = every.filter(Q(pred__name__icontains=query) | Q(succ__name__icontains=query))
    links = list(chosen.select_related("pred", "succ").order_by("-pk")[:limit])
    total = every.count()
    matching = chosen.count() if query else total
    return LinkList(links, total, matching, query)


# ---------------------------------------------------------------------------------------------
# Board


BOARD_FIELDS = (
    "pk",
    "project_id",
    "name",
    "status",
    "priority",
    "board_key",
    "version",
    "finish",
    "is_critical",
    "assignee_id",
    "assignee__full_name",
    "assignee__email",
)
PRIORITY_LABELS = dict(Priority.choices)


@dataclass(slots=True)
class BoardCard:
    """What a board card shows, read as a plain row (no model instances for 1,000 cards)."""

    pk: int
    project_id: int
    name: str
    status: str
    priority: str
    board_key: str
    version: int
    finish: dt.datetime | None
    is_critical: bool
    assignee_id: int | None
    assignee_name: str

    @property
    def assignee_initials(self) -> str:
        parts = [p for p in self.assignee_name.replace("@", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


@dataclass
class Column:
    status: str
    label: str
    cards: list[BoardCard]
    limit: int | None

    @property
    def html(self) -> SafeString:
        """The cards as HTML, built in one pass (a template per card is 20x slower)."""
        return board_cards(self.cards)

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and len(self.cards) > self.limit


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """An instant from a raw row: SQLite's naive UTC made aware, as Django's converter does."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _instant(value: dt.datetime | str | None) -> dt.datetime | None:
    """An instant from a raw row's subquery column: SQLite gives it as text (no declared type
    to convert by), PostgreSQL as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return _aware(value)


# The board's read, compiled once per connection (core/fastread.py). Its rows are the driver's,
# without Django's converter per value (1,000 cards × a datetime and a boolean on SQLite): SQLite
# gives booleans as 0/1 and instants as naive UTC datetimes (``_aware``); PostgreSQL gives
# ``bool`` and aware datetimes.
_BOARD_ROWS = FastRows(
    Task,
    lambda project_id: (
        Task.objects.filter(project_id=project_id, is_summary=False)
        .order_by("board_key", "pk")
        .values_list(*BOARD_FIELDS)
    ),
)


def board_read(project_id: int) -> Read:
    """:func:`board`'s read of the cards, to read ahead (``core.fastread.one_round_trip``)."""
    return _BOARD_ROWS, [project_id]


def board(
    project: Project, swimlanes: bool = False
) -> tuple[list[Column], list[tuple[str, list[Column]]]]:
    """Columns by status (cards ordered by board key); with swimlanes, the same per assignee."""
    # Each instant made aware once: 1,000 cards share ~150 finishes (half the loop's time).
    aware: dict[dt.datetime | None, dt.datetime | None] = {None: None}
    tasks = []
    for row in _BOARD_ROWS.rows(*board_read(project.pk)[1]):
        pk, pid, name, status, prio, key, version, finish, crit, who_id, full_name, email = row
        when = aware.get(finish)
        if when is None:
            when = aware[finish] = _aware(finish)
        who = (full_name or email or "") if who_id else ""
        tasks.append(
            BoardCard(pk, pid, name, status, prio, key, version, when, bool(crit), who_id, who)
        )
    limits = project.wip_limits or {}

    def columns(items: list[BoardCard]) -> list[Column]:
        by_status: dict[str, list[BoardCard]] = defaultdict(list)
        for t in items:
            by_status[t.status].append(t)
        return [
            Column(s, label, by_status.get(s, []), limits.get(s)) for s, label in TaskStatus.choices
        ]

    lanes: list[tuple[str, list[Column]]] = []
    if swimlanes:
        by_person: dict[str, list[BoardCard]] = defaultdict(list)
        for t in tasks:
            by_person[t.assignee_name if t.assignee_id else "Unassigned"].append(t)
        lanes = [
            (who, columns(items))
            for who, items in sorted(
                by_person.items(), key=lambda kv: (kv[0] == "Unassigned", kv[0])
            )
        ]
    return columns(tasks), lanes


# ---------------------------------------------------------------------------------------------
# My work


MY_WORK_FIELDS = (
    "pk",
    "project_id",
    "name",
    "finish",
    "status",
    "percent_complete",
    "is_critical",
    "position",
    "project__name",
    "project__organisation_id",
)


def my_work(user: User, organisation: Organisation) -> list[Task]:
    """The user's open tasks across the organisation's projects, due soonest first.

    The user's tasks are those the capacity model loads them with (``capacity.demand``): each
    task they have an assignment row on (a second person at 50 % too), and each task they are
    the assignee of (a task without rows; with rows, the assignee is the first of them)."""
    # Scoped through the project, not ``Task.organisation``: SQLite would otherwise walk the
    # organisation index (every task of the organisation) instead of the assignee's few rows.
    # The two sides come in as one ``pk IN (… UNION …)``, each on its own index (the assignee's,
    # the assignment rows' by person): an ``OR`` of the two had SQLite read every task of every
    # project of the organisation, and a join to the rows would repeat a task.
    assignee = Task.objects.filter(assignee=user).order_by().values("pk")
    rows = Assignment.objects.filter(organisation=organisation, person=user)
    return list(
        Task.objects.filter(
            pk__in=assignee.union(rows.order_by().values("task_id")),
            project__organisation=organisation,
            is_summary=False,
            project__archived_at__isnull=True,  # archived projects leave My work
        )
        .exclude(status=TaskStatus.DONE)
        .select_related("project")
        # Only what the list shows (the full task and project rows were most of the read).
        .only(*MY_WORK_FIELDS)
        .order_by("finish", "project__name", "position")
    )


def board_cards(cards: list[BoardCard]) -> SafeString:
    """``<li>`` of each card; every user value goes through ``escape``.

    The pieces many cards share are built once per call: a person's avatar (200 people for
    1,000 cards), a due date's label, a priority's class and badge. ``html.escape`` is what
    Django's ``escape`` returns for a string, without its lazy-text wrapper per call.
    """
    if not cards:
        return mark_safe("")
    base = reverse("projects:task", args=[cards[0].project_id, 0])[:-2]
    tzinfo = timezone.get_current_timezone()
    due: dict[dt.datetime, str] = {}  # many cards share a finish: format each instant once
    avatars: dict[str, str] = {}
    day_short, language = dates.patterns().day_short, translation.get_language()
    out = []
    for t in cards:
        if t.assignee_id:
            avatar = avatars.get(t.assignee_name)
            if avatar is None:
                avatar = avatars[t.assignee_name] = (
                    f'<span class="avatar avatar-sm" title="{_escape(t.assignee_name)}">'
                    f"{_escape(t.assignee_initials)}</span>"
                )
        else:
            avatar = ""
        if t.finish:
            when = due.get(t.finish)
            if when is None:
                label = _short_day(t.finish.astimezone(tzinfo).date(), day_short, language)
                when = due[t.finish] = f'<span class="muted">due {label}</span>'
        else:
            when = ""
        prio_class, badge = _card_priority(t.priority)
        critical = '<span class="badge badge-red">Critical</span>' if t.is_critical else ""
        out.append(
            f'<li class="board-card prio-{prio_class}" id="card-{t.pk}" data-task="{t.pk}" '
            f'data-version="{t.version}"><a href="{base}{t.pk}/">{_escape(t.name)}</a>'
            f'<div class="board-card-meta small">{avatar}{when}{badge}{critical}</div></li>'
        )
    return mark_safe("".join(out))  # noqa: S308


@functools.lru_cache(maxsize=4096)
def _short_day(day: dt.date, pattern: str, language: str | None) -> str:
    """``dates.format_day_short`` of a local date, kept per process: the label depends only on
    the date, the organisation's pattern and the language (month names)."""
    return dateformat.format(day, pattern)


@functools.lru_cache(maxsize=64)
def _card_priority(priority: str) -> tuple[str, str]:
    """A priority's class suffix (escaped) and its badge (high and urgent only)."""
    badge = (
        f'<span class="badge badge-amber">{PRIORITY_LABELS[priority]}</span>'
        if priority in ("high", "urgent")
        else ""
    )
    return _escape(priority), badge


def free_project_code(organisation: Organisation, stem: str) -> str:
    """``stem``, else ``stem-2``, ``stem-3``…: the first code no project of ``organisation``
    holds, trashed ones included, by the comparison ``services`` refuses a clash with (the
    database's ``iexact``, which can equal codes Python's ``lower()`` keeps apart: "STRASSE" and
    "Straße" under an ICU locale). One read of the likely clashes, one check of the answer."""
    projects = Project.all_objects.filter(organisation=organisation)
    taken = {
        c.lower() for c in projects.filter(code__istartswith=stem).values_list("code", flat=True)
    }
    candidate, n = stem, 2
    while True:
        while candidate.lower() in taken:
            candidate, n = f"{stem[:16]}-{n}", n + 1
        if not projects.filter(code__iexact=candidate).exists():
            return candidate
        taken.add(candidate.lower())
