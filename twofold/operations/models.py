"""Operations: processes with budgets, KPIs and measurements, request queues with SLAs, routines.

Every model carries ``organisation`` so ``core.policy`` can check it directly; editable models
carry ``version`` for optimistic concurrency.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone as tz

from twofold.accounts.models import Organisation, Team
from twofold.calendars.models import Calendar as BusinessCalendar
from twofold.core.trash import AllRows, LiveChildManager, Trashable

# Business calendars moved to the ``calendars`` app (one working-time model for projects and
# operations); the old name stays importable for the queues and routines that run on them.
__all__ = ["BusinessCalendar"]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class Archivable(models.Model):
    """Archived things are hidden from lists, pickers and the overview but kept for reports and
    history (and, for routines, get no new occurrences). ``archived_at`` is None while in use."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Process(Trashable, Archivable):
    """A repeating piece of the organisation's work, e.g. "Monthly close" or "Server patching"."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="processes"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    annual_budget = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    version = models.PositiveIntegerField(default=1)
    # Moved by each decision on time or an expense booked on the process (the costs app's
    # ``evm.stamps``-like listener, ``costs.budget_sync``): it keys the cached cost of the
    # process's approved time, so the pages read no time entries to know it still holds.
    cost_stamp = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="process_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SpendEntry(models.Model):
    """Money spent on a process against its annual budget."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="spend")
    spent_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    description = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = LiveChildManager("process")
    all_objects = AllRows()

    class Meta:
        ordering = ["-spent_on", "-id"]
        verbose_name = "spend entry"
        verbose_name_plural = "spend entries"

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"


class GoodDirection(models.TextChoices):
    UP = "up", "Higher is better"
    DOWN = "down", "Lower is better"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


KPI_STATE_LABELS = {
    "signal": "Unusual change",
    "off target": "Not on target",
    "in control": "Stable",
    "no data": "No data yet",
}
"""The overall state of a KPI (its rollup), in words: a recent control-chart signal first, then
the latest value against the target."""
KPI_STATUS_LABELS = {"green": "On target", "amber": "At risk", "red": "Off target"}
"""The latest value against the target and thresholds, in words."""


class Kpi(Trashable, Archivable):
    """A measure of a process, with a target, thresholds and an XmR baseline period."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="kpis")
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=20, blank=True)
    good_direction = models.CharField(
        max_length=4, choices=GoodDirection.choices, default=GoodDirection.UP
    )
    target = models.FloatField()
    amber_threshold = models.FloatField(null=True, blank=True)
    red_threshold = models.FloatField()
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    baseline_start = models.DateField(null=True, blank=True)
    baseline_end = models.DateField(null=True, blank=True)
    plausibility_spreads = models.FloatField(
        "are-you-sure margin",
        default=1.0,
        help_text="A new value beyond the range ever seen by more than this many process "
        "spreads (the width of the control chart's limits) asks “are you sure?” first.",
    )
    # Rollup for the overview, refreshed by services on every write that can change it (new
    # measurements, thresholds, baseline) and by the worker; it depends on nothing else.
    state = models.CharField(max_length=12, default="no data", editable=False)
    latest_value = models.FloatField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return self.name

    @property
    def state_badge(self) -> str:
        return {"signal": "red", "off target": "amber", "in control": "green"}.get(self.state, "")

    @property
    def state_label(self) -> str:
        return KPI_STATE_LABELS.get(self.state, self.state.capitalize())


class Measurement(models.Model):
    """One value of a KPI for one period (the date the period ends or is measured on).

    A wrong value is corrected (``value`` changes; the value first recorded stays in
    ``original_value``, every step in the history) or voided (kept, shown, left out of the
    chart's limits and the KPI's status). Neither is ever deleted.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField()
    value = models.FloatField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    original_value = models.FloatField(
        null=True, blank=True, help_text="The value as first recorded, once it was corrected."
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_reason = models.CharField(max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = LiveChildManager("kpi")
    all_objects = AllRows()

    class Meta:
        ordering = ["measured_on"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "measured_on"], name="measurement_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.measured_on}: {self.value}"

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def corrected(self) -> bool:
        return self.original_value is not None


class ChangeSource(models.TextChoices):
    PROJECT = "project", "Project"
    IMPROVEMENT = "improvement", "Improvement item"
    MANUAL = "manual", "Recorded by hand"


class ChangePoint(models.Model):
    """A deliberate change to the process on ``date``: the KPI's chart starts a new phase there.

    Limits before the first change point come from the baseline period; each later phase gets
    limits from its own points. ``source`` and ``source_id`` name what went live (a project or an
    improvement item), so moving its go-live date moves this point instead of adding another.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="change_points")
    date = models.DateField()
    label = models.CharField(max_length=160)
    source = models.CharField(max_length=12, choices=ChangeSource.choices)
    source_id = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "source", "source_id"],
                condition=models.Q(source_id__isnull=False),
                name="change_point_one_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.date}: {self.label}"


class Priority(models.TextChoices):
    CRITICAL = "p1", "P1 Critical"
    HIGH = "p2", "P2 High"
    NORMAL = "p3", "P3 Normal"
    LOW = "p4", "P4 Low"


DEFAULT_SLA_HOURS: dict[str, dict[str, float]] = {
    "p1": {"response": 0.5, "resolution": 4},
    "p2": {"response": 2, "resolution": 16},
    "p3": {"response": 8, "resolution": 40},
    "p4": {"response": 16, "resolution": 80},
}


class Queue(Trashable, Archivable):
    """A request queue (e.g. "IT service desk") with SLA targets in business hours per priority.

    ``sla_hours`` maps priority to ``{"response": hours, "resolution": hours}``.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="queues")
    process = models.ForeignKey(
        Process, null=True, blank=True, on_delete=models.SET_NULL, related_name="queues"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    sla_hours = models.JSONField(default=dict)
    # A request resolved after its resolution target opens a nonconformance (quality app).
    nc_on_breach = models.BooleanField(
        "Open a nonconformance on an SLA breach",
        default=False,
        help_text="A request resolved after its resolution target opens a nonconformance.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = "request queue"

    def __str__(self) -> str:
        return self.name

    def target_minutes(self, priority: str, kind: str) -> float:
        hours: dict[str, Any] = self.sla_hours.get(priority) or DEFAULT_SLA_HOURS[priority]
        return float(hours[kind]) * 60


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on requester"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


WAITING_STATUSES = frozenset({Status.WAITING})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
BOARD_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED]


class Request(Trashable):
    """One request in a queue. Its SLA clocks are computed from its status events."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="requests")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=tz.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Outcome of the resolution clock, fixed when the request is resolved (None while open);
    # lets the overview count SLA attainment in SQL instead of replaying every clock.
    resolution_met = models.BooleanField(null=True, blank=True, editable=False)
    # The resolution clock as it stood when the outcome was fixed: business minutes used and the
    # target then in force. A resolved request shows these, whatever the queue's targets,
    # calendar or the request's priority became later (None while open, and on rows resolved
    # before they were kept).
    resolution_minutes = models.FloatField(null=True, blank=True, editable=False)
    resolution_target_minutes = models.FloatField(null=True, blank=True, editable=False)
    # The response clock likewise, fixed at the first response (None until then): whether it met
    # its target, the business minutes it took and the target then in force. The first response
    # is never undone, so these stay whatever the priority or the queue's targets become later.
    response_met = models.BooleanField(null=True, blank=True, editable=False)
    response_minutes = models.FloatField(null=True, blank=True, editable=False)
    response_target_minutes = models.FloatField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["queue", "status"]),
            # Covers the overview's and the queue page's SLA counts: index-only range scans per
            # queue. Partial, as every such read is of the live requests (the default manager
            # adds ``deleted_at IS NULL``): on the whole table PostgreSQL had to visit each row
            # for ``deleted_at`` and preferred the queue index and a filter (0.67 -> 0.12 ms for
            # the large demo's busiest queue).
            models.Index(
                fields=["queue", "resolved_at", "resolution_met"],
                condition=models.Q(deleted_at__isnull=True),
                name="request_live_resolved_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class RequestEvent(models.Model):
    """A status change of a request (append-only); SLA pauses are derived from these."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=tz.now)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = LiveChildManager("request")
    all_objects = AllRows()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "status change"

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return Status(self.from_status).label if self.from_status in Status.values else ""

    @property
    def to_label(self) -> str:
        return Status(self.to_status).label if self.to_status in Status.values else self.to_status


class ShiftRule(models.TextChoices):
    NONE = "none", "Keep the date"
    NEXT = "next", "Move to the next working day"
    PREVIOUS = "previous", "Move to the previous working day"


class Routine(Trashable, Archivable):
    """A recurring checklist (e.g. "Bank reconciliation"), due by an RFC 5545 rule."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="routines"
    )
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="routines")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    rrule = models.CharField(max_length=200, help_text="e.g. FREQ=WEEKLY;BYDAY=MO,WE")
    starts_on = models.DateField()
    due_time = models.TimeField(default="17:00")
    shift = models.CharField(max_length=8, choices=ShiftRule.choices, default=ShiftRule.NONE)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    effort_minutes = models.PositiveIntegerField(default=30)
    active = models.BooleanField(default=True)
    # The process marks this routine as critical: a missed occurrence opens a nonconformance.
    critical = models.BooleanField(
        default=False, help_text="A missed occurrence opens a nonconformance."
    )
    # When the current schedule took effect (creation, or the last schedule change): no
    # occurrence due before it is generated, so a change never backdates work that is then
    # missed at once. None on rows from before it was kept: no such limit.
    schedule_from = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule_text(self) -> str:
        """The rule in plain words ("Every Monday and Thursday"), never the raw RRULE."""
        from twofold.operations.recurrence import describe

        words = describe(self.rrule)
        if words == "Monthly on the last day" and self.shift == ShiftRule.PREVIOUS:
            return "Monthly on the last working day"
        return words


class Evidence(models.TextChoices):
    NONE = "none", "Tick only"
    NOTE = "note", "A note"
    NUMBER = "number", "A number within limits"
    FILE = "file", "A file"
    PASS_FAIL = "pass_fail", "Pass or fail"


class RoutineStep(models.Model):
    """One checklist step, possibly requiring evidence."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)
    evidence = models.CharField(max_length=10, choices=Evidence.choices, default=Evidence.NONE)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # A step removed from the checklist after evidence was recorded for it is retired, not
    # deleted, so past occurrences keep their evidence.
    retired = models.BooleanField(default=False)

    objects = LiveChildManager("routine")
    all_objects = AllRows()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "checklist step"

    def __str__(self) -> str:
        return self.text


class OccurrenceStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class Occurrence(models.Model):
    """One due instance of a routine. (routine, due) is unique so workers never duplicate."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="occurrences")
    due = models.DateTimeField()
    status = models.CharField(
        max_length=6, choices=OccurrenceStatus.choices, default=OccurrenceStatus.OPEN
    )
    created_at = models.DateTimeField(default=tz.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when completing it (a reading out of limits, a failed check) or missing it (a critical
    # routine) raised a deviation: shown as "completed with a nonconformance", never "on time".
    nonconforming = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1)

    objects = LiveChildManager("routine")
    all_objects = AllRows()

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["routine", "due"], name="occurrence_unique_due")
        ]
        indexes = [models.Index(fields=["status", "due"])]

    def __str__(self) -> str:
        return f"{self.routine} due {self.due:%Y-%m-%d %H:%M}"

    @property
    def late(self) -> bool:
        return self.completed_at is not None and self.completed_at > self.due


class StepEvidence(models.Model):
    """What was recorded for one step when an occurrence was completed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="evidence")
    step = models.ForeignKey(RoutineStep, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    number = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    file = models.FileField(upload_to="operations/evidence/%Y/%m/", blank=True)
    # For a file: the name it was uploaded with (only ever shown escaped; stored under a random
    # name), the type it is served with, its size, and who uploaded it when.
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(null=True, blank=True)

    objects = LiveChildManager("occurrence__routine")
    all_objects = AllRows()

    class Meta:
        ordering = ["step__position", "id"]
        verbose_name = "evidence record"
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "step"], name="evidence_unique_step")
        ]

    def __str__(self) -> str:
        return f"Evidence for {self.step_id}"

    @property
    def served_type(self) -> str:
        """The type the file is served with; files from before types were stored get theirs
        from the extension, like attachments."""
        if self.content_type:
            return self.content_type
        from twofold.core.uploads import SERVED_AS, extension_of

        return SERVED_AS.get(extension_of(str(self.file.name or "")), "application/octet-stream")

    @property
    def is_image(self) -> bool:
        return bool(self.file) and self.served_type.startswith("image/")

    @property
    def file_label(self) -> str:
        """The name to show for the file: as uploaded, else the stored name's last part."""
        return self.original_name or str(self.file.name or "").rsplit("/", 1)[-1]
