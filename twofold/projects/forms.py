"""Forms for project pages: they parse input; services decide and write."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from twofold.accounts.models import Organisation
from twofold.accounts.people_field import PeopleField
from twofold.calendars.models import Calendar
from twofold.core.fields import DatePicker
from twofold.core.form_copies import fast_copies
from twofold.core.form_renderer import FastSelect
from twofold.projects.models import (
    Constraint,
    LagUnit,
    LinkType,
    Priority,
    Programme,
    ProgressRule,
    Project,
    Task,
    TaskStatus,
    TaskType,
)
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY, milestone_after

# The engine's calendars cover 1980-2149: dates outside are refused before the service sees them.
_IN_RANGE = [
    MinValueValidator(FIRST_DAY, message=DATE_MESSAGE),
    MaxValueValidator(LAST_DAY, message=DATE_MESSAGE),
]


def _date_field(*, required: bool = True, picker: bool = True, **kwargs: Any) -> forms.DateField:
    widget = DatePicker() if picker else None
    return forms.DateField(required=required, validators=_IN_RANGE, widget=widget, **kwargs)


class NameField(forms.CharField):
    """A name with a length limit the server states: no ``maxlength`` attribute, because the
    browser would silently cut a pasted name to the limit and save the stump."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.error_messages["max_length"] = (
            f"A name can be at most {max_length} characters; this one has %(show_value)d. "
            "Shorten it and save again."
        )

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class ProjectForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = NameField(max_length=160)
    code = forms.CharField(max_length=20, help_text="A short reference, e.g. OPX-07.")
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), required=False)
    manager = PeopleField(required=False)
    sponsor = PeopleField(required=False)
    target_start = _date_field()
    target_finish = _date_field(required=False)
    budget_ceiling = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=Decimal(0)
    )
    objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    success_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Measurable criteria, one per line.",
    )
    scope = forms.CharField(
        label="Scope statement", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    exclusions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    assumptions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    constraints = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    calendar = forms.ModelChoiceField(
        queryset=Calendar.objects.none(),
        required=False,
        empty_label="Organisation default",
        help_text="Working days, hours and holidays the schedule uses (Settings → Calendars).",
    )
    progress_rule = forms.ChoiceField(
        label="Work started out of sequence",
        choices=ProgressRule.choices,
        initial=ProgressRule.OVERRIDE,
        required=False,
        help_text="When a task starts before its predecessors allow: let its remaining work "
        "continue (Microsoft Project) or make it wait for them (Primavera's retained logic).",
    )
    status_date = _date_field(
        required=False,
        help_text="The day progress is reported to: earned value is measured at its end "
        "(today while it is empty).",
    )
    reschedule_after_status = forms.BooleanField(
        label="Schedule unfinished work after the status date",
        required=False,
        help_text="Remaining and unstarted work never starts before the end of the status date "
        "(Microsoft Project's \"reschedule uncompleted work\", Primavera's data date).",
    )

    def __init__(
        self, *args: Any, organisation: Organisation, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Editing checks the version the form was opened with (a stale save answers 409).
        self.fields["version"].required = editing
        self.fields["version"].error_messages["required"] = (
            "This form is missing its version: reload the page and make your change again."
        )
        # Archived programmes leave the picker, except the one the project is already in.
        current = getattr(self.initial.get("programme"), "pk", self.initial.get("programme"))
        self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            Q(archived_at=None) | Q(pk=current or 0), organisation=organisation
        )
        self.fields["manager"].people_of(organisation, no_guests=True)  # type: ignore[attr-defined]
        self.fields["sponsor"].people_of(organisation, no_guests=True)  # type: ignore[attr-defined]
        self.fields["calendar"].queryset = Calendar.objects.filter(organisation=organisation)  # type: ignore[attr-defined]

    def clean_progress_rule(self) -> str:
        return str(self.cleaned_data.get("progress_rule") or ProgressRule.OVERRIDE)

    @classmethod
    def initial_for(cls, project: Project) -> dict[str, Any]:
        return {
            "version": project.version,
            **{
                name: getattr(project, name)
                for name in cls.base_fields
                if name != "version" and hasattr(project, name)
            },
        }


def duration_minutes(days: Decimal | None, hours: Decimal | None) -> int:
    return round((days or 0) * 480 + (hours or 0) * 60)


class TaskAddForm(forms.Form):
    name = NameField(max_length=200)
    duration_days = forms.DecimalField(
        label="Duration (days)",
        min_value=Decimal(0),
        max_value=Decimal(2000),
        decimal_places=2,
        required=False,
        initial=1,
    )
    is_milestone = forms.BooleanField(label="Milestone", required=False)
    parent = forms.ModelChoiceField(
        queryset=Task.objects.none(), required=False, label="Under", widget=FastSelect
    )
    assignee = PeopleField(required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tasks = Task.objects.filter(project=project, is_milestone=False)
        self.fields["parent"].queryset = tasks  # type: ignore[attr-defined]
        _task_options(self.fields["parent"], tasks)
        self.fields["assignee"].people_of(project.organisation)  # type: ignore[attr-defined]


def _task_options(field: Any, tasks: Any, pairs: list[tuple[int, str]] | None = None) -> None:
    """The field's options as ``(id, name)`` pairs read in one query, written by
    :class:`FastSelect`; the field's queryset still validates what is posted.

    Iterating the queryset made a model instance per option: three lists of a 2,000-task plan
    on the tasks page took ~0.2 s."""
    if pairs is None:
        pairs = list(tasks.order_by("position").values_list("pk", "name"))
    head = [("", field.empty_label)] if field.empty_label is not None else []
    field.widget.choices = [*head, *pairs]


class TaskInlineForm(forms.Form):
    """One row of the WBS table; only the fields that were posted are changed."""

    version = forms.IntegerField(min_value=1)
    name = NameField(max_length=200, required=False)
    duration_days = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(2000),
        decimal_places=2,
        required=False,
        error_messages={
            "min_value": "A duration cannot be negative: enter 0 (a milestone) to 2000 days.",
            "max_value": "A duration is at most 2000 working days.",
            "invalid": "Enter the duration as a number of working days, e.g. 3 or 2.5.",
            "max_decimal_places": "Use at most two decimals, e.g. 2.5 days.",
        },
    )
    constraint_date = _date_field(required=False, picker=False)
    assignee = PeopleField(required=False)
    status = forms.ChoiceField(choices=TaskStatus.choices, required=False)
    percent_complete = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        error_messages={
            "min_value": "Percent complete is between 0 and 100.",
            "max_value": "Percent complete is between 0 and 100: 100 means done.",
            "invalid": "Enter percent complete as a whole number from 0 to 100.",
        },
    )

    LABELS = {
        "name": "Name",
        "duration_days": "Duration",
        "constraint_date": "Not before",
        "assignee": "Assignee",
        "status": "Status",
        "percent_complete": "Percent complete",
        "version": "Version",
    }

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].people_of(project.organisation)  # type: ignore[attr-defined]

    def cell_error(self) -> tuple[str, str, str] | None:
        """(field, message, the value as typed) of the first invalid cell, for the grid to show
        next to that cell."""
        for field, errors in self.errors.items():
            return field, " ".join(str(e) for e in errors), str(self.data.get(field, ""))
        return None

    def changes(self, task: Task) -> dict[str, Any]:
        """The service values for the fields present in the submitted data."""
        data, out = self.cleaned_data, {}
        sent = set(self.data)
        if "name" in sent:
            out["name"] = data["name"]
        if "duration_days" in sent and not task.is_summary:
            if data["duration_days"] is None:
                self.add_error("duration_days", "Enter a duration in days.")
            else:
                out["duration_minutes"] = duration_minutes(data["duration_days"], None)
                out["is_milestone"] = milestone_after(task, out["duration_minutes"])
        if "constraint_date" in sent:
            out["constraint_date"] = data["constraint_date"]
            out["constraint_type"] = Constraint.SNET if data["constraint_date"] else Constraint.ASAP
        if "assignee" in sent:
            out["assignee"] = data["assignee"]
        if "status" in sent and data["status"]:
            out["status"] = data["status"]
        if "percent_complete" in sent and data["percent_complete"] is not None:
            out["percent_complete"] = data["percent_complete"]
        return out


@fast_copies
class TaskDetailForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = NameField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="Markdown."
    )
    priority = forms.ChoiceField(choices=Priority.choices)
    assignee = PeopleField(required=False)
    duration_days = forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal(2000), decimal_places=2
    )
    effort_hours = forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal(100000), decimal_places=1, required=False
    )
    constraint_type = forms.ChoiceField(choices=Constraint.choices)
    constraint_date = _date_field(required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].people_of(project.organisation)  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    pred = forms.ModelChoiceField(
        queryset=Task.objects.none(), label="Predecessor", widget=FastSelect
    )
    succ = forms.ModelChoiceField(
        queryset=Task.objects.none(), label="Successor", widget=FastSelect
    )
    type = forms.ChoiceField(choices=LinkType.choices, initial=LinkType.FS)
    lag = forms.IntegerField(min_value=-1000, max_value=1000, initial=0, required=False)
    lag_unit = forms.ChoiceField(choices=LagUnit.choices, initial=LagUnit.DAYS, label="Lag unit")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tasks = Task.objects.filter(project=project).order_by("position")
        self.fields["pred"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["succ"].queryset = tasks  # type: ignore[attr-defined]
        pairs = list(tasks.values_list("pk", "name"))
        _task_options(self.fields["pred"], tasks, pairs)
        _task_options(self.fields["succ"], tasks, pairs)


_DIGITS = re.compile(r"[0-9]{1,18}")


class BaselineForm(forms.Form):
    name = forms.CharField(max_length=80, initial="Baseline")
    number = forms.TypedChoiceField(
        choices=[("", "Next free")] + [(str(i), f"Baseline {i}") for i in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    # The baselines the page listed ("number:id,…"): saving over a number replaces the one the
    # person saw there, never one saved since (409).
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args: Any, baselines: Iterable[Any] = (), **kwargs: Any) -> None:
        held = {b.number: b for b in baselines}
        kwargs.setdefault("initial", {})["seen"] = ",".join(
            f"{n}:{b.pk}" for n, b in sorted(held.items())
        )
        super().__init__(*args, **kwargs)
        field = self.fields["number"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Next free")] + [
            (str(i), f"{i} · replace “{held[i].name}”" if i in held else f"{i} (free)")
            for i in range(11)
        ]

    def replaces(self) -> int | None:
        """The id of the baseline the page listed at the chosen number, if any."""
        seen: dict[int, int] = {}
        for pair in str(self.cleaned_data.get("seen") or "").split(","):
            held, _, pk = pair.partition(":")
            if _DIGITS.fullmatch(held) and _DIGITS.fullmatch(pk):
                seen[int(held)] = int(pk)
        number = self.cleaned_data.get("number")
        return seen.get(int(number)) if number is not None else None


class QuickAddForm(forms.Form):
    name = NameField(max_length=200, label="New card")
    status = forms.ChoiceField(choices=TaskStatus.choices, widget=forms.HiddenInput)


@fast_copies
class ChecklistForm(forms.Form):
    text = forms.CharField(max_length=200, label="New item")


@fast_copies
class TaskPersonForm(forms.Form):
    """Put a person on a task at some units (the task page's "People and work" panel)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    person = PeopleField()
    units = forms.IntegerField(
        initial=100,
        label="Units (%)",
        help_text="100 % = full time.",
        min_value=-(10**6),
        max_value=10**6,
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].people_of(project.organisation)  # type: ignore[attr-defined]


@fast_copies
class TaskPersonUnitsForm(forms.Form):
    """Change one person's units on a task."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    person = forms.IntegerField(widget=forms.HiddenInput)
    units = forms.IntegerField(label="Units (%)", min_value=-(10**6), max_value=10**6)


@fast_copies
class TaskResourcingForm(forms.Form):
    """Task type, effort-driven flag and the task's work (MS Project's rules)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    task_type = forms.ChoiceField(choices=TaskType.choices, label="Task type")
    effort_driven = forms.BooleanField(
        required=False,
        label="Effort-driven",
        help_text="Adding or removing a person keeps the work (fixed work always does).",
    )
    work_hours = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(100000),
        decimal_places=1,
        required=False,
        label="Work (hours)",
    )
