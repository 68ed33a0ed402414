"""Every assignment row gets its work stored, as the capacity model read a row without work
(the task's effort shared by units over all its rows, largest remainder; without effort, the
duration at the person's units; a row of 0 units, as capacity read it, none), and the task's work becomes the sum of its people's: the task
page read such rows as duration × units, capacity as the effort's share (2026-12-06)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _resolved(effort: int, duration: int, rows: list[tuple[int, int | None]]) -> list[int]:
    total = sum(units for units, _ in rows) or 1
    missing = [i for i, (_, work) in enumerate(rows) if work is None]
    out = [work or 0 for _, work in rows]
    if effort:
        exact = [effort * rows[i][0] for i in missing]
        parts = [e // total for e in exact]
        target = (effort * sum(rows[i][0] for i in missing) + total // 2) // total
        order = sorted(range(len(missing)), key=lambda k: (-(exact[k] % total), k))
        for k in order[: max(0, target - sum(parts))]:
            parts[k] += 1
    else:
        parts = [(duration * rows[i][0] + 50) // 100 for i in missing]
    for i, minutes in zip(missing, parts, strict=True):
        out[i] = minutes
    return out


def store_work(apps: Any, schema_editor: Any) -> None:
    Assignment = apps.get_model("projects", "Assignment")
    Task = apps.get_model("projects", "Task")
    task_ids = set(
        Assignment.objects.filter(work_minutes__isnull=True).values_list("task_id", flat=True)
    )
    for task in Task.objects.filter(pk__in=task_ids).only("pk", "effort_minutes", "duration_minutes"):
        rows = list(Assignment.objects.filter(task_id=task.pk).order_by("position", "pk"))
        work = _resolved(
            task.effort_minutes or 0,
            task.duration_minutes or 0,
            [(r.units, r.work_minutes) for r in rows],
        )
        for row, minutes in zip(rows, work, strict=True):
            if row.work_minutes != minutes:
                row.work_minutes = minutes
                row.save(update_fields=["work_minutes"])
        Task.objects.filter(pk=task.pk).update(effort_minutes=sum(work))


class Migration(migrations.Migration):
    dependencies = [("projects", "0017_baseline_task_cost_wider")]

    operations = [migrations.RunPython(store_work, migrations.RunPython.noop)]
