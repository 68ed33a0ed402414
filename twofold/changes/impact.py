"""A change request's impact: the change applied to a copy of the plan, scheduled by the engine,
compared with the plan as it stands.

Nothing is saved: the copy is in memory (new tasks get negative ids), so the impact of a
proposal costs two engine runs and the reads of one project.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from twofold.core import dates
from twofold.core.errors import Invalid
from twofold.engine.calendars import CalendarRangeError
from twofold.engine.cpm import schedule
from twofold.engine.cpm_network import CycleError, PlanError
from twofold.evm import budget
from twofold.evm.models import BudgetLine
from twofold.projects import resourcing, scheduling
from twofold.projects.models import MINUTES_PER_DAY, Assignment, Project, Task
from twofold.projects.services import LAST_DAY, tz_of


@dataclass(frozen=True)
class ItemSpec:
    """One requested change, before it is saved (see :class:`~twofold.changes.models.ChangeItem`)."""

    kind: str
    task_id: int | None = None
    name: str = ""
    parent_id: int | None = None
    predecessor_id: int | None = None
    days: int | None = None


@dataclass(frozen=True)
class PlanFigures:
    finish: dt.date | None
    critical: tuple[str, ...]
    work_hours: Decimal
    tasks: int
    cost: Decimal
    bac: Decimal


People = dict[int, list[Assignment]]
"""A task's assignment rows (its people), in order, by task id; a task without is absent."""


def _load(project: Project) -> tuple[list[Task], list[scheduling.LinkRow], People]:
    tasks = list(
        Task.objects.filter(project=project)
        .only(
            *scheduling.TASK_PLAN_FIELDS,
            "effort_minutes",
            "assignee_id",
            "task_type",
            "effort_driven",
        )
        .order_by("position")
    )
    people: People = {}
    for row in Assignment.objects.filter(task__project=project).only(
        "task_id", "person_id", "units", "work_minutes", "position"
    ):  # the model's order: by task, then position
        people.setdefault(row.task_id, []).append(row)
    return tasks, scheduling.link_rows(project, {t.pk for t in tasks}), people


def _apply(
    project: Project,
    tasks: list[Task],
    links: list[scheduling.LinkRow],
    people: People,
    items: Sequence[ItemSpec],
) -> tuple[list[Task], list[scheduling.LinkRow], People]:
    """The plan with ``items`` applied (copies; the originals are untouched)."""
    by_pk = {t.pk: t for t in tasks}
    out = {t.pk: t for t in tasks}
    new_links = list(links)
    new_people = dict(people)
    next_id = -1
    for item in items:
        if item.kind == "add":
            task = Task(
                pk=next_id,
                organisation_id=project.organisation_id,
                project_id=project.pk,
                parent_id=item.parent_id,
                position="~",
                name=item.name,
                duration_minutes=(item.days or 0) * MINUTES_PER_DAY,
                effort_minutes=0,
                is_milestone=not item.days,
                constraint_type="asap",
            )
            out[next_id] = task
            if item.predecessor_id is not None:
                new_links.append(scheduling.LinkRow(item.predecessor_id, next_id, "FS", 0, "d"))
            next_id -= 1
        elif item.kind == "remove" and item.task_id in by_pk:
            gone = {item.task_id}
            grew = True
            while grew:
                more = {pk for pk, t in out.items() if t.parent_id in gone} - gone
                gone |= more
                grew = bool(more)
            for pk in gone:
                out.pop(pk, None)
            new_links = [
                lk for lk in new_links if lk.pred_id not in gone and lk.succ_id not in gone
            ]
        elif item.kind == "resize" and item.task_id in out:
            # As approving does (projects.services.update_task): the task type's rule decides
            # what follows for a task with people, e.g. the work of a person at 50 % on a task
            # twice as long doubles, not becomes the duration (until 2026-12-06 the preview
            # set the work to the duration, 100 %).
            task = out[item.task_id]
            values: dict[str, Any] = {
                "duration_minutes": (item.days or 0) * MINUTES_PER_DAY,
                "is_milestone": not item.days,
            }
            rows = new_people.get(task.pk, [])
            try:
                ruled = resourcing.edit_rule(task, rows, values)
            except Invalid as exc:
                raise Invalid(exc.message, field="items") from exc
            resized = copy.copy(task)
            resized.duration_minutes = values["duration_minutes"]
            resized.is_milestone = values["is_milestone"]
            if ruled is not None:
                after = ruled[1]
                resized.duration_minutes, resized.effort_minutes = after.duration, after.work
                if rows:
                    new_people[task.pk] = [
                        Assignment(
                            task_id=task.pk,
                            person_id=row.person_id,
                            units=share.units,
                            work_minutes=share.work,
                            position=row.position,
                        )
                        for row, share in zip(rows, after.shares, strict=True)
                    ]
            out[item.task_id] = resized
        elif item.kind == "link" and item.predecessor_id is not None and item.task_id is not None:
            new_links.append(scheduling.LinkRow(item.predecessor_id, item.task_id, "FS", 0, "d"))
    # Removed tasks can leave a summary without children: it is a plain task again.
    return list(out.values()), new_links, new_people


def _figures(
    project: Project,
    tasks: list[Task],
    links: list[scheduling.LinkRow],
    lines: list[BudgetLine],
    rate: Decimal,
    extra: Decimal,
    tzinfo: dt.tzinfo,
    people: People,
) -> PlanFigures:
    if not tasks:
        return PlanFigures(None, (), Decimal(0), 0, Decimal(0), extra)
    try:
        result = schedule(scheduling.build_plan(project, tasks, links))
    except CycleError as exc:
        names = {t.pk: t.name for t in tasks}
        loop = [names.get(uid, "a task") for uid in exc.uids]
        path = " → ".join([*loop, loop[0]]) if loop else ""
        raise Invalid(
            f"This change would create a dependency cycle: {path}.", field="items"
        ) from exc
    except PlanError as exc:
        # _check refuses items naming a task an earlier item removes; anything else the engine
        # cannot place is still a refusal, not a 500.
        raise Invalid(
            "This change refers to a task the changed plan no longer has.", field="items"
        ) from exc
    except (CalendarRangeError, IndexError, OverflowError) as exc:
        # As projects.services.reschedule_project: the calendar tables end with LAST_DAY.
        raise Invalid(
            f"With this change the schedule would run past {dates.format_day(LAST_DAY)}, "
            "the last day the calendar covers.",
            field="items",
        ) from exc
    parents = {t.parent_id for t in tasks if t.parent_id}
    rows = []
    critical = []
    finish: dt.datetime | None = None
    for i, t in enumerate(tasks):
        uid = int(result.uids[i])
        d = result.task(uid)
        if finish is None or d.finish > finish:
            finish = d.finish
        if t.pk not in parents and d.critical:
            critical.append(t.name)
        rows.append(
            budget.TaskRow(
                pk=t.pk,
                parent_id=t.parent_id,
                name=t.name,
                work_minutes=0 if t.is_milestone else (t.effort_minutes or t.duration_minutes),
                is_milestone=t.is_milestone,
                assignee_id=getattr(t, "assignee_id", None),
                percent_complete=t.percent_complete,
                start=d.start.date(),
                finish=d.finish.date(),
                # Each person's share priced at their rate, as costing reads them
                # (budget.rows_by_project): the shares after the change, read once in _load.
                shares=budget.shares_of(
                    [(a.person_id, a.units, a.work_minutes) for a in people[t.pk]],
                    t.effort_minutes or 0,
                    t.duration_minutes or 0,
                )
                if t.pk in people
                else (),
            )
        )
    costing = budget.costing(project, rows, lines, rate)
    leaves = [r for r in rows if r.pk not in parents]
    labour = costing.by_category.get("labour", Decimal(0))
    return PlanFigures(
        finish=finish.date() if finish else None,
        critical=tuple(critical),
        work_hours=Decimal(sum(r.work_minutes for r in leaves)) / 60,
        tasks=len(leaves),
        cost=labour,
        bac=costing.bac + extra,
    )


def _check(
    project: Project,
    tasks: list[Task],
    links: list[scheduling.LinkRow],
    items: Sequence[ItemSpec],
) -> None:
    """Refuse items approving could never apply, with the words approving would answer.

    Raises:
        Invalid: on ``items``, naming the item (see :func:`compute_impact`).
    """
    known = {t.pk: t for t in tasks}
    # What approving meets when it reaches each item: the milestones (a resize before may make
    # or unmake one) and the links (a link item before adds one).
    milestones = {t.pk for t in tasks if t.is_milestone}
    linked = {(lk.pred_id, lk.succ_id) for lk in links}
    children: dict[int, list[int]] = {}
    for t in tasks:
        if t.parent_id is not None:
            children.setdefault(t.parent_id, []).append(t.pk)
    # Task id → (the number of the item removing it, the removed task it is under or itself).
    removed: dict[int, tuple[int, Task]] = {}
    for n, item in enumerate(items, start=1):
        where = f"Change {n}: "
        for pk in (item.task_id, item.parent_id, item.predecessor_id):
            if pk is not None and pk in removed:
                by, top = removed[pk]
                task = known[pk]
                raise Invalid(
                    where
                    + (
                        f"{task.name} is removed by change {by}."
                        if top.pk == pk
                        else f"{task.name} is under {top.name}, which change {by} removes."
                    ),
                    field="items",
                )
        if item.kind not in ("add", "remove", "resize", "link"):
            raise Invalid(where + f"unknown kind {item.kind!r}.", field="items")
        if item.kind == "add":
            if not item.name.strip():
                raise Invalid(where + "name the task to add.", field="items")
            if item.parent_id is not None and item.parent_id not in known:
                raise Invalid(where + "the parent must be a task of this project.", field="items")
            if item.parent_id in milestones:
                # projects.services.create_task's refusal: approving always failed on it.
                raise Invalid(where + "A milestone cannot have subtasks.", field="items")
        if item.kind in ("remove", "resize", "link") and item.task_id not in known:
            raise Invalid(where + "choose a task of this project.", field="items")
        if item.predecessor_id is not None and item.predecessor_id not in known:
            raise Invalid(where + "the predecessor must be a task of this project.", field="items")
        if item.kind == "link" and item.predecessor_id is None:
            raise Invalid(where + "choose the predecessor.", field="items")
        if item.kind == "link" and item.predecessor_id == item.task_id:
            raise Invalid(where + "a task cannot depend on itself.", field="items")
        if item.kind == "link" and (item.predecessor_id, item.task_id) in linked:
            # projects.services.add_link's refusal: approving always failed on it.
            pred, succ = known[item.predecessor_id or 0], known[item.task_id or 0]
            raise Invalid(where + f"{pred.name} is already linked to {succ.name}.", field="items")
        if item.kind in ("add", "resize") and not 0 <= (item.days or 0) <= 2000:
            raise Invalid(where + "the duration must be between 0 and 2000 days.", field="items")
        if item.kind == "resize" and known[item.task_id or 0].pk in {t.parent_id for t in tasks}:
            raise Invalid(
                where
                + f"{known[item.task_id or 0].name} is a summary: its dates follow its subtasks.",
                field="items",
            )
        if item.kind == "resize" and item.task_id is not None:
            if item.days:
                milestones.discard(item.task_id)
            else:
                milestones.add(item.task_id)  # 0 days: approving makes it a milestone
        if item.kind == "link":
            linked.add((item.predecessor_id or 0, item.task_id or 0))
        if item.kind == "remove" and item.task_id is not None:
            top = known[item.task_id]
            stack = [top.pk]
            while stack:
                pk = stack.pop()
                removed[pk] = (n, top)
                stack.extend(children.get(pk, ()))


def compute_impact(
    project: Project, items: Sequence[ItemSpec], budget_change: Decimal = Decimal(0)
) -> dict[str, Any]:
    """Before/after figures of the plan with ``items`` applied (JSON-ready).

    Raises:
        Invalid: an item names something outside the project or a task an earlier item
            removes (or one under it), adds a task under a milestone or links two tasks already
            linked (approving could never apply those), the change would create a dependency
            cycle (the message names the tasks around it), or it would run the plan past the
            calendars' range.
    """
    tasks, links, people = _load(project)
    _check(project, tasks, links, items)
    lines = list(BudgetLine.objects.filter(project=project))
    rate = budget.labour_rate(project)
    tzinfo = tz_of(project.organisation)
    before = _figures(project, tasks, links, lines, rate, Decimal(0), tzinfo, people)
    # The budget today is the latest baseline's, its costs frozen when it was saved (the EV
    # page's BAC); approving saves a new baseline priced at today's rates, so the preview's
    # "before" is that BAC and the difference shows any re-pricing the approval brings.
    real = budget.costing(project, budget.task_rows(project), lines, rate)
    before = replace(before, bac=real.bac, cost=real.by_category.get("labour", Decimal(0)))
    new_tasks, new_links, new_people = _apply(project, tasks, links, people, items)
    after = _figures(project, new_tasks, new_links, lines, rate, budget_change, tzinfo, new_people)
    return {
        "before": _plain(before),
        "after": _plain(after),
        "critical_added": [n for n in after.critical if n not in before.critical],
        "critical_removed": [n for n in before.critical if n not in after.critical],
        "finish_days": (after.finish - before.finish).days
        if after.finish and before.finish
        else None,
    }


def _plain(f: PlanFigures) -> dict[str, Any]:
    return {
        "finish": f.finish.isoformat() if f.finish else None,
        "critical": list(f.critical),
        "work_hours": str(f.work_hours.quantize(Decimal("0.01"))),
        "tasks": f.tasks,
        "cost": str(f.cost),
        "bac": str(f.bac),
    }
