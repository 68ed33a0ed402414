"""Projects: programmes, projects with a charter, WBS tasks, links, baselines, gates, progress."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation
from twofold.core.fields import OrderingKeyField
from twofold.core.trash import AllRows, LiveChildManager, Trashable

MINUTES_PER_DAY = 480


class Phase(models.TextChoices):
    INITIATION = "initiation", "Initiation"
    PLANNING = "planning", "Planning"
    EXECUTION = "execution", "Execution"
    CLOSURE = "closure", "Closure"


PHASE_ORDER = [Phase.INITIATION, Phase.PLANNING, Phase.EXECUTION, Phase.CLOSURE]


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    DOING = "doing", "Doing"
    REVIEW = "review", "Review"
    DONE = "done", "Done"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Constraint(models.TextChoices):
    ASAP = "asap", "As soon as possible"
    SNET = "snet", "Start no earlier than"
    FNLT = "fnlt", "Finish no later than"
    MSO = "mso", "Must start on"


class LinkType(models.TextChoices):
    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


class LagUnit(models.TextChoices):
    DAYS = "d", "working days"
    HOURS = "h", "working hours"
    PERCENT = "%", "% of predecessor"


class Programme(models.Model):
    """A group of related projects, e.g. "Operational excellence"."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="programmes"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    objectives = models.TextField(blank=True, help_text="Markdown.")
    start = models.DateField(null=True, blank=True)
    finish = models.DateField(null=True, blank=True)
    # Archived: hidden from lists and pickers, kept in reports and history.
    archived_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="programme_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class TaskType(models.TextChoices):
    """Which of duration, work and units stays when another changes (MS Project's task types;
    the rules are ``twofold.engine.effort``)."""

    FIXED_UNITS = "fixed_units", "Fixed units"
    FIXED_DURATION = "fixed_duration", "Fixed duration"
    FIXED_WORK = "fixed_work", "Fixed work"


class ProgressRule(models.TextChoices):
    """How work started out of sequence is scheduled (see docs/scheduling.md)."""

    OVERRIDE = "override", "Progress override: remaining work continues where it stopped"
    RETAINED = "retained", "Retained logic: remaining work waits for its predecessors"


class Project(Trashable):
    """A project with its charter, phase and (denormalised) schedule summary."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="projects"
    )
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    name = models.CharField(max_length=160)
    code = models.CharField(max_length=20)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.INITIATION)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Charter
    objectives = models.TextField(blank=True)
    success_criteria = models.TextField(blank=True, help_text="Measurable: one per line.")
    scope = models.TextField(blank=True)
    exclusions = models.TextField(blank=True)
    assumptions = models.TextField(blank=True)
    constraints = models.TextField(blank=True)
    target_start = models.DateField()
    target_finish = models.DateField(null=True, blank=True)
    budget_ceiling = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    status_date = models.DateField(null=True, blank=True)
    wip_limits = models.JSONField(default=dict, blank=True)
    # Working time the plan is scheduled on; None = the organisation's default calendar.
    calendar = models.ForeignKey(
        "calendars.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    progress_rule = models.CharField(
        max_length=8, choices=ProgressRule.choices, default=ProgressRule.OVERRIDE
    )
    # Microsoft Project's "reschedule uncompleted work to start after" the status date, kept
    # on (Primavera's data date): remaining and unstarted work is never scheduled before the
    # end of ``status_date``.
    reschedule_after_status = models.BooleanField(default=False)
    # Schedule summary, written by reschedule_project
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_finish = models.DateTimeField(null=True, blank=True)
    percent_complete = models.FloatField(default=0)
    # Percent planned over time (from the current baseline, else the schedule), written with the
    # schedule summary so the portfolio needs no task rows: see progress.planned_curve.
    planned_curve = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=tz.now)
    # Archived: hidden from the portfolio, lists and My work by default; kept in reports/history.
    archived_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Counts the changes to the plan that can move its cost or earned value (each reschedule;
    # a task's assignee, work or progress): cached cost figures include it in their key. Not
    # ``version``, so a task edit never makes an edit of the project stale.
    plan_stamp = models.PositiveIntegerField(default=0, editable=False)
    # Counts the changes to what the project has cost or may cost besides its plan: a budget
    # line, the planned labour rate, a baseline, a decision on time or an expense booked on it
    # (``evm.stamps``). With ``plan_stamp`` and the organisation's ``rates_stamp`` it keys the
    # cached cost figures, so the portfolio reads no time entries to know they still hold.
    cost_stamp = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="project_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Task(Trashable):
    """A WBS element: a summary (has children), a task or a milestone."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = OrderingKeyField(max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=MINUTES_PER_DAY)
    effort_minutes = models.PositiveIntegerField(default=0)
    is_milestone = models.BooleanField(default=False)
    is_summary = models.BooleanField(default=False)
    constraint_type = models.CharField(max_length=4, choices=Constraint.choices, default="asap")
    constraint_date = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project_tasks",
    )
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    percent_complete = models.PositiveSmallIntegerField(default=0)
    actual_start = models.DateField(null=True, blank=True)
    actual_finish = models.DateField(null=True, blank=True)
    board_key = OrderingKeyField(max_length=80, default="V")
    # Written by the scheduler
    start = models.DateTimeField(null=True, blank=True)
    finish = models.DateTimeField(null=True, blank=True)
    total_float_minutes = models.IntegerField(default=0)
    is_critical = models.BooleanField(default=False)
    # When the scheduler last wrote the fields above (in its one bulk statement): dates that move
    # because something else changed have no history entry, so API sync reads this stamp.
    rescheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Written by levelling (capacity): working minutes the scheduler adds before the task's early
    # start, after its predecessors allow it (MS Project's "leveling delay"). Not a constraint:
    # the task keeps its links, so the critical path runs through it. "Clear levelling" zeroes it.
    levelling_delay_minutes = models.PositiveIntegerField(default=0)
    # Resource-driven scheduling (twofold.engine.effort): which of duration, work and units
    # stays put, and whether adding or removing a person keeps the work (effort-driven).
    task_type = models.CharField(
        max_length=16, choices=TaskType.choices, default=TaskType.FIXED_UNITS
    )
    effort_driven = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "position"]
        indexes = [
            models.Index(fields=["project", "position"]),
            models.Index(fields=["project", "status", "board_key"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["organisation", "is_milestone"]),
        ]
        constraints = [
            # Board order is total: two cards of a project never share a key (services keep
            # keys short and rebalance; see projects.board_order).
            models.UniqueConstraint(fields=["project", "board_key"], name="task_unique_board_key")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration_days(self) -> float:
        return self.duration_minutes / MINUTES_PER_DAY

    @property
    def effort_hours(self) -> float:
        return self.effort_minutes / 60


MAX_ASSIGNMENT_UNITS = 1000


class Assignment(models.Model):
    """A person working on a task at ``units`` percent of their day (100 = full time).

    A task with no assignment rows counts its ``assignee`` at 100 %. Once a task has assignment
    rows, they are the task's people and ``Task.assignee`` is kept equal to the first of them (the
    primary assignee other pages show). ``work_minutes`` (optional) is that person's work on the
    task; without it the task's effort is shared in proportion to units (or, without effort,
    ``duration × units``).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("Task", on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_assignments"
    )
    units = models.PositiveIntegerField(default=100)
    work_minutes = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["task_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "person"], name="assignment_unique_person")
        ]
        indexes = [models.Index(fields=["organisation", "person"], name="assignment_by_person")]

    def __str__(self) -> str:
        return f"{self.person} at {self.units} %"


class Link(models.Model):
    """A dependency ``pred`` → ``succ`` with a type and a lag (negative = lead)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="links")
    pred = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="succ_links")
    succ = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="pred_links")
    type = models.CharField(max_length=2, choices=LinkType.choices, default=LinkType.FS)
    lag = models.IntegerField(default=0)
    lag_unit = models.CharField(max_length=1, choices=LagUnit.choices, default=LagUnit.DAYS)

    # A link touching a task in the trash drops out of every read (scheduling included).
    objects = LiveChildManager("pred", "succ")
    all_objects = AllRows()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pred", "succ"], name="link_unique_pair"),
            models.CheckConstraint(condition=~models.Q(pred=models.F("succ")), name="link_no_self"),
        ]

    def __str__(self) -> str:
        return f"{self.pred_id} {self.type} {self.succ_id}"

    @property
    def lag_label(self) -> str:
        if not self.lag:
            return ""
        unit = {"d": "d", "h": "h", "%": "%"}[self.lag_unit]
        return f"{'+' if self.lag > 0 else ''}{self.lag}{unit}"


class Baseline(models.Model):
    """A saved copy of the plan (numbers 0-10, like Microsoft Project's Baseline..Baseline10)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=tz.now)
    finish = models.DateTimeField(null=True, blank=True)

    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_unique_number")
        ]

    def __str__(self) -> str:
        return self.name


CURRENT_FIRST = ("-created_at", "-number")
"""Baselines newest first. A project's **current baseline** (its plan of record) is the one
saved last: an approved change saves a new one, as does a manager re-baselining. Health (slip,
overdue milestones), percent planned, earned value, and the Gantt's and the variance page's
default baseline all measure against it; the others stay for comparison."""


def current_baseline(baselines: Iterable[Baseline]) -> Baseline | None:
    """The current baseline among ``baselines`` (already read), or ``None``."""
    return max(baselines, key=lambda b: (b.created_at, b.number), default=None)


class BaselineTask(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="baseline_rows")
    start = models.DateTimeField(null=True)
    finish = models.DateTimeField(null=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    work_minutes = models.PositiveIntegerField(default=0)
    # The task's planned cost when the baseline was saved (``evm.baseline_cost``): the budget
    # stays what was agreed when rates change later, as Microsoft Project's Baseline Cost.
    # None when no rate was known then (the task is priced at the rates in force).
    cost = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)

    objects = LiveChildManager("task")
    all_objects = AllRows()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "task"], name="baseline_task_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in baseline {self.baseline_id}"

    @property
    def organisation_id(self) -> int:
        return int(self.baseline.organisation_id)


class ProgressSnapshot(models.Model):
    """One day's percent complete and percent planned of a project (for sparklines)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()
    percent_complete = models.FloatField()
    percent_planned = models.FloatField()

    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["project", "date"]
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="snapshot_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} on {self.date}: {self.percent_complete:.0f}%"


class CheckItem(models.Model):
    """One line of a checklist that is ticked or not (base of task and gate checklists)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=200)
    done = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class ChecklistItem(CheckItem):
    """A step of a task's checklist (on the card page)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")

    objects = LiveChildManager("task")
    all_objects = AllRows()

    class Meta(CheckItem.Meta):
        pass


class Gate(models.Model):
    """The gate out of ``phase``: passes when its checklist is done and an approver signs it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gates")
    phase = models.CharField(max_length=12, choices=Phase.choices)
    passed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    # Hidden with a project in the trash, as every page, list and feed promises (they stayed in
    # My work and the activity feed until 2026-12-05); ``all_objects`` for the rest.
    objects = LiveChildManager("project")
    all_objects = AllRows()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "phase"], name="gate_unique_phase")
        ]

    def __str__(self) -> str:
        return f"Gate out of {self.get_phase_display()}"


class GateItem(CheckItem):
    """A condition a gate's checklist requires before the gate can pass."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="items")

    class Meta(CheckItem.Meta):
        pass


class GateChecklistSetting(models.Model):
    """The organisation's checklist for the gate out of ``phase``: new projects' gates copy it.

    ``items`` is a list of strings in order. An organisation without a row for a phase uses
    ``DEFAULT_GATE_ITEMS`` (see ``checklists.gate_checklists``).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="gate_checklists"
    )
    phase = models.CharField(max_length=12, choices=Phase.choices)
    items = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "phase"], name="gate_checklist_unique_phase"
            )
        ]

    def __str__(self) -> str:
        return f"Gate checklist out of {self.get_phase_display()}"
