"""Forms for project pages: they parse input; services decide and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from twofold.accounts import directory
from twofold.accounts.models import Organisation, Role, User
from twofold.calendars.models import Calendar
from twofold.core.fastread import FastRows
from twofold.core.form_copies import copy_as_field, fast_copies
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
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY

_NOT_GUESTS = [Role.MEMBER, Role.ADMIN, Role.OWNER]


def _people(organisation: Organisation | int, *, no_guests: bool = False) -> Any:
    """Members of the organisation; ``no_guests`` for sponsor and manager (guests cannot be)."""
    filters: dict[str, Any] = {"memberships__organisation": organisation}
    if no_guests:
        filters["memberships__role__in"] = _NOT_GUESTS
    # The choices show names only: no password hashes, dates or settings for 200 people.
    return User.objects.filter(**filters).order_by("full_name").only("id", "full_name", "email")


class _PeopleIterator(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """The field's choices as (id, name) pairs from tuples read once per organisation object
    (a request's): the task page's two people selects share one query and build no ``User``
    instances. Validation still goes through the queryset (``ModelChoiceField.to_python``)."""

    field: PeopleField

    def __init__(self, field: PeopleField) -> None:  # no queryset: see PeopleField.people_of
        self.field = field

    @property
    def queryset(self) -> Any:  # type: ignore[override]
        return self.field.queryset

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, email in self.field.people_rows():
            yield (pk, name or email)  # User.display_name

    def __len__(self) -> int:
        return len(self.field.people_rows()) + (self.field.empty_label is not None)

    def plain_pairs(self) -> tuple[tuple[Any, str], ...] | None:
        """The choices as :class:`FastSelect` takes them without looking (int ids, ``str``
        names, no groups), built once per request's organisation and empty label; None when
        the empty label is not a plain ``str`` (lazy text follows the language)."""
        empty = self.field.empty_label
        if empty is not None and type(empty) is not str:
            return None
        source = self.field._source
        cache: dict[Any, tuple[tuple[Any, str], ...]] = self.field.pairs_cache()
        key = (source[1] if source else None, empty)  # the rows are per (organisation, no_guests)
        pairs = cache.get(key)
        if pairs is None:
            head: tuple[tuple[Any, str], ...] = () if empty is None else (("", empty),)
            rows = self.field.people_rows()
            pairs = cache[key] = head + tuple((pk, name or email) for pk, name, email in rows)
        return pairs

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.people_rows())


class PeopleField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A member of the organisation (see :func:`people_of`)."""

    iterator = _PeopleIterator
    widget = FastSelect  # 200 people: options written from the pairs (core/form_renderer.py)

    def __init__(self, **kwargs: Any) -> None:
        self._source: tuple[Organisation, bool] | None = None
        self._lazy = False
        super().__init__(queryset=User.objects.none(), **kwargs)

    def people_of(self, organisation: Organisation, *, no_guests: bool = False) -> None:
        """Offer the organisation's members (``no_guests``: not its guests). The choices come
        from :meth:`people_rows`; the queryset that validates a posted id is built only when
        something asks for it (a page that only shows the select never does)."""
        self._source = (organisation, no_guests)
        self._lazy = True
        self.widget.choices = self.choices  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> PeopleField:
        """``ModelChoiceField``'s copy (a field copy, its own queryset, choices bound to the
        copy) with one queryset clone instead of two, and none while the people are lazy or
        the queryset is the empty one the class starts with."""
        result: PeopleField = copy_as_field(self, memo)
        queryset = self.__dict__.get("_queryset")
        if not self._lazy and queryset is not None and not queryset.query.is_empty():
            result._queryset = queryset.all()  # an empty one (the class's) is shared
        result.widget.choices = result.choices  # type: ignore[assignment]
        return result

    def _get_people_queryset(self) -> Any:
        if self.__dict__.get("_lazy"):
            self._lazy = False
            assert self._source is not None
            organisation, no_guests = self._source
            self._queryset = _people(organisation, no_guests=no_guests)
        return self._queryset

    def _set_people_queryset(self, queryset: Any) -> None:
        self._lazy = False
        forms.ModelChoiceField._set_queryset(self, queryset)  # type: ignore[attr-defined]

    queryset = property(_get_people_queryset, _set_people_queryset)

    def pairs_cache(self) -> dict[Any, Any]:
        """Where :meth:`_PeopleIterator.plain_pairs` keeps its pairs: beside the rows."""
        if self._source is None:
            return {}
        cache: dict[Any, Any] = self._source[0].__dict__.setdefault("_twofold_people_pairs", {})
        return cache

    def people_rows(self) -> list[tuple[int, str, str]]:
        if self._source is None:
            return []
        organisation, no_guests = self._source
        cache: dict[bool, list[tuple[int, str, str]]] = organisation.__dict__.setdefault(
            "_twofold_people_choices", {}
        )
        if no_guests not in cache:
            # Kept per process while the organisation's people stay the same (a stamp read
            # with the request's memberships); the list is shared: never changed in place.
            cache[no_guests] = directory.rows(
                organisation,
                ("people", no_guests),
                lambda: (
                    _STAFF_ROWS.rows(organisation.pk, *_NOT_GUESTS)
                    if no_guests
                    else _PEOPLE_ROWS.rows(organisation.pk)
                ),
            )
        return cache[no_guests]


# The choices' rows, compiled once (core/fastread.py); id, name and e-mail need no converter.
_PEOPLE_ROWS = FastRows(
    User,
    lambda org_id: _people(org_id).values_list("id", "full_name", "email"),
)
_STAFF_ROWS = FastRows(
    User,
    lambda org_id, *roles: _people(org_id, no_guests=True).values_list("id", "full_name", "email"),
)


# The engine's calendars cover 1980-2149: dates outside are refused before the service sees them.
_IN_RANGE = [
    MinValueValidator(FIRST_DAY, message=DATE_MESSAGE),
    MaxValueValidator(LAST_DAY, message=DATE_MESSAGE),
]


def _date_field(*, required: bool = True, picker: bool = True, **kwargs: Any) -> forms.DateField:
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") if picker else None
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
    parent = forms.ModelChoiceField(queryset=Task.objects.none(), required=False, label="Under")
    assignee = PeopleField(required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Task.objects.filter(project=project, is_milestone=False)  # type: ignore[attr-defined]
        self.fields["assignee"].people_of(project.organisation)  # type: ignore[attr-defined]


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
                out["is_milestone"] = out["duration_minutes"] == 0
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
    pred = forms.ModelChoiceField(queryset=Task.objects.none(), label="Predecessor")
    succ = forms.ModelChoiceField(queryset=Task.objects.none(), label="Successor")
    type = forms.ChoiceField(choices=LinkType.choices, initial=LinkType.FS)
    lag = forms.IntegerField(min_value=-1000, max_value=1000, initial=0, required=False)
    lag_unit = forms.ChoiceField(choices=LagUnit.choices, initial=LagUnit.DAYS, label="Lag unit")

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tasks = Task.objects.filter(project=project).order_by("position")
        self.fields["pred"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["succ"].queryset = tasks  # type: ignore[attr-defined]


class BaselineForm(forms.Form):
    name = forms.CharField(max_length=80, initial="Baseline")
    number = forms.TypedChoiceField(
        choices=[("", "Next free")] + [(str(i), f"Baseline {i}") for i in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
    )


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
