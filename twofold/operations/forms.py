"""Forms for operations pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.db import models

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.accounts.people_field import PeopleField
from twofold.core.fields import DatePicker
from twofold.operations import recurrence
from twofold.operations.models import (
    DEFAULT_SLA_HOURS,
    WEEKDAYS,
    BusinessCalendar,
    Evidence,
    Frequency,
    GoodDirection,
    Priority,
    Process,
    Queue,
    Routine,
    RoutineStep,
    ShiftRule,
    Status,
)
from twofold.operations.services import SLA_MAX_HOURS, SLA_MIN_HOURS

STALE_FORM = (
    "This form is missing the version you edited: reload the page and make your change again."
)
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def _version_field(*, required: bool) -> forms.IntegerField:
    """The hidden version an edit was made on; without it a stale edit would overwrite silently."""
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        required=required,
        error_messages={"required": STALE_FORM},
    )


def _require_version(form: forms.Form, editing: bool) -> None:
    form.fields["version"].required = editing


class VersionedForm(forms.Form):
    version = _version_field(required=True)


def _live(model: Any, organisation: Organisation, keep: Any = None) -> Any:
    """A picker's choices: the organisation's rows not archived (plus ``keep``, the current
    value, so editing something linked to an archived row does not lose the link)."""
    qs = model.objects.filter(organisation=organisation)
    live = models.Q(archived_at__isnull=True)
    if keep:
        live |= models.Q(pk=getattr(keep, "pk", keep))
    return qs.filter(live)


class ProcessForm(forms.Form):
    version = _version_field(required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    annual_budget = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=0,
        label="Budget this fiscal year",
        help_text="The same budget as on the process's fiscal-year page; other years are set there.",
    )

    def __init__(
        self, *args: Any, organisation: Organisation, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _require_version(self, editing)
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__organisation=organisation
        ).order_by("full_name")
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(process: Process) -> dict[str, Any]:
        return {
            "version": process.version,
            "name": process.name,
            "description": process.description,
            "owner": process.owner_id,
            "team": process.team_id,
            "annual_budget": process.annual_budget,
        }

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class SpendForm(forms.Form):
    spent_on = forms.DateField(label="Date", widget=DatePicker())
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    description = forms.CharField(max_length=200)


class KpiForm(forms.Form):
    name = forms.CharField(max_length=120)
    unit = forms.CharField(max_length=20, required=False, help_text="e.g. %, h, parts")
    good_direction = forms.ChoiceField(choices=GoodDirection.choices, label="Good direction")
    target = forms.FloatField()
    amber_threshold = forms.FloatField(
        required=False,
        label="Amber threshold",
        help_text="Where “at risk” (amber) begins: a value between the target and this "
        "threshold reads “within tolerance”. Leave it empty to turn amber as soon as the "
        "target is missed.",
    )
    red_threshold = forms.FloatField(label="Red threshold", help_text="From here on: off target.")
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.WEEKLY)


class KpiEditForm(KpiForm):
    """Everything about a KPI but its measurements (the baseline has its own form too)."""

    version = _version_field(required=True)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    field_order = [
        "name",
        "description",
        "unit",
        "good_direction",
        "target",
        "amber_threshold",
        "red_threshold",
        "frequency",
        "plausibility_spreads",
    ]
    plausibility_spreads = forms.FloatField(
        label="Are-you-sure margin (process spreads)",
        required=False,
        min_value=0.01,
        max_value=1000,
        initial=1.0,
        help_text="A new value beyond the range ever seen by more than this many process "
        "spreads (the width of the control chart's limits) asks “are you sure?” first.",
    )

    @staticmethod
    def initial_for(kpi: Any) -> dict[str, Any]:
        return {
            "version": kpi.version,
            **{name: getattr(kpi, name) for name in KpiEditForm.field_order},
        }

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["unit"] = data.get("unit") or ""
        data["description"] = data.get("description") or ""
        if data.get("plausibility_spreads") is None:
            data.pop("plausibility_spreads", None)  # left empty: keep the KPI's margin
        return data


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label="Date", widget=DatePicker())
    value = forms.FloatField()
    note = forms.CharField(max_length=200, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CorrectionForm(VersionedForm):
    """A new value for a recorded one, with the reason (kept in the history)."""

    value = forms.FloatField(label="Correct value")
    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Say why the value is corrected: the reason is kept with it."},
        label="Reason",
        help_text="Why the recorded value was wrong; kept with the value for auditors.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class VoidForm(VersionedForm):
    """Void a recorded value: it stays, shown, but leaves the chart's limits and the status."""

    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Say why the value is voided: the reason is kept with it."},
        label="Reason",
        help_text="Why this value does not count (e.g. a measuring error nobody can redo).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CsvForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: date,value[,note], at most 5 MB. Every row is checked first; one "
        "bad row and nothing is saved.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload is not None and upload.size is not None and upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload


def _evidence_size(upload: Any) -> None:
    if upload is not None and upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        raise forms.ValidationError("Files are limited to 10 MB.")


class BaselineForm(VersionedForm):
    baseline_start = forms.DateField(
        label="Baseline from",
        required=False,
        widget=DatePicker(),
    )
    baseline_end = forms.DateField(
        label="Baseline to",
        required=False,
        widget=DatePicker(),
    )


class RequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)


class StatusForm(VersionedForm):
    status = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(max_length=300, required=False)


class CompleteForm(VersionedForm):
    """One field per step, built from the routine's checklist."""

    def __init__(
        self,
        *args: Any,
        steps: list[RoutineStep],
        staged: set[int] | frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.steps = steps
        for step in steps:
            name = f"step_{step.pk}"
            label = step.text
            if step.evidence == Evidence.NONE:
                self.fields[name] = forms.BooleanField(label=label, required=True)
            elif step.evidence == Evidence.NOTE:
                self.fields[name] = forms.CharField(
                    label=label, widget=forms.Textarea(attrs={"rows": 2})
                )
            elif step.evidence == Evidence.NUMBER:
                limits = []
                if step.min_value is not None:
                    limits.append(f"min {step.min_value:g}")
                if step.max_value is not None:
                    limits.append(f"max {step.max_value:g}")
                unit = f" ({step.unit})" if step.unit else ""
                help_text = ", ".join(limits)
                if limits:
                    help_text += "; a reading outside is recorded and opens a nonconformance"
                self.fields[name] = forms.CharField(
                    label=f"{label}{unit}",
                    help_text=help_text,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            elif step.evidence == Evidence.PASS_FAIL:
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=[("pass", "Pass"), ("fail", "Fail")],
                    widget=forms.RadioSelect,
                )
            elif step.evidence == Evidence.FILE:
                self.fields[name] = forms.FileField(
                    label=label,
                    required=step.pk not in staged,  # a file uploaded ahead counts
                    validators=[_evidence_size],
                    help_text="Already uploaded; choose a file only to replace it."
                    if step.pk in staged
                    else "An image, PDF or office file, at most 10 MB.",
                    widget=forms.ClearableFileInput(
                        attrs={"data-max-bytes": MAX_EVIDENCE_BYTES, "data-max-label": "10 MB"}
                    ),
                )


# --- Admin forms: calendars, queues, routines ---------------------------------------------------


class QueueForm(forms.Form):
    """Name, calendar and SLA targets per priority (hours of the calendar's working time)."""

    version = _version_field(required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Shown above the intake form.",
    )
    process = forms.ModelChoiceField(queryset=Process.objects.none(), required=False)
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(),
        label="Business calendar",
        help_text="SLA clocks only run in its working hours.",
    )
    nc_on_breach = forms.BooleanField(
        required=False,
        label="Open a nonconformance on an SLA breach",
        help_text="A request resolved after its resolution target opens a nonconformance.",
    )

    def __init__(
        self, *args: Any, organisation: Organisation, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _require_version(self, editing)
        keep = self.initial.get("process")
        self.fields["process"].queryset = _live(Process, organisation, keep)  # type: ignore[attr-defined]
        self.fields["calendar"].queryset = BusinessCalendar.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )
        for p, label in Priority.choices:
            for kind in ("response", "resolution"):
                name = f"{label}: {'first response' if kind == 'response' else 'resolution'} (h)"
                # The widget carries its name too: the handover's queue part shows the inputs in
                # a table without their labels.
                attrs = {"step": "any", "class": "ops-hours", "aria-label": name}
                self.fields[f"{p}_{kind}"] = forms.FloatField(
                    label=name,
                    min_value=SLA_MIN_HOURS,
                    max_value=SLA_MAX_HOURS,
                    initial=DEFAULT_SLA_HOURS[p][kind],
                    widget=forms.NumberInput(attrs=attrs),
                )
        self.sla_rows = [
            (label, self[f"{p}_response"], self[f"{p}_resolution"]) for p, label in Priority.choices
        ]

    @staticmethod
    def initial_for(queue: Queue) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": queue.version,
            "name": queue.name,
            "description": queue.description,
            "process": queue.process_id,
            "calendar": queue.calendar_id,
            "nc_on_breach": queue.nc_on_breach,
        }
        for p in Priority.values:
            for kind in ("response", "resolution"):
                hours = queue.target_minutes(p, kind) / 60
                initial[f"{p}_{kind}"] = int(hours) if hours.is_integer() else hours
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for p in Priority.values:
            response, resolution = data.get(f"{p}_response"), data.get(f"{p}_resolution")
            if response is not None and resolution is not None and resolution < response:
                self.add_error(
                    f"{p}_resolution", "Resolution cannot be shorter than the first response."
                )
        data["sla_hours"] = {
            p: {"response": data.get(f"{p}_response"), "resolution": data.get(f"{p}_resolution")}
            for p in Priority.values
        }
        return data


class Repeat(models.TextChoices):
    DAILY = "daily", "Every day"
    WORKDAYS = "workdays", "Every weekday (Monday to Friday)"
    WEEKLY = "weekly", "Weekly on chosen days"
    MONTHLY_DAY = "monthly_day", "Monthly on day N"
    MONTHLY_LAST_WORKING = "monthly_last", "Monthly on the last working day"
    MONTHLY_NTH = "monthly_nth", "Monthly on the first, second… or last weekday"
    CUSTOM = "custom", "Custom rule (experts: RFC 5545 RRULE)"


BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
NTH_CHOICES = [("1", "first"), ("2", "second"), ("3", "third"), ("4", "fourth"), ("-1", "last")]
_NTH = re.compile(r"^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$")


def picker_from_rule(rule: str, shift: str) -> dict[str, Any]:
    """The friendly picker's fields for a stored rule; anything unusual stays a custom rule."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    interval = parts.pop("INTERVAL", "1")
    if not interval.isdecimal() or not 1 <= int(interval) <= recurrence.MAX_INTERVAL:
        return {"repeat": Repeat.CUSTOM, "rrule": rule}
    every = {"interval": int(interval)}
    keys = set(parts)
    if parts.get("FREQ") == "DAILY" and keys == {"FREQ"}:
        return {"repeat": Repeat.DAILY, **every}
    if parts.get("FREQ") == "WEEKLY" and keys == {"FREQ", "BYDAY"}:
        days = parts["BYDAY"].split(",")
        if all(d in BYDAY for d in days):
            if days == BYDAY[:5] and interval == "1":
                return {"repeat": Repeat.WORKDAYS}
            return {"repeat": Repeat.WEEKLY, "weekdays": days, **every}
    if parts.get("FREQ") == "MONTHLY" and keys == {"FREQ", "BYMONTHDAY"}:
        if parts["BYMONTHDAY"] == "-1" and shift == ShiftRule.PREVIOUS and interval == "1":
            return {"repeat": Repeat.MONTHLY_LAST_WORKING}
        if parts["BYMONTHDAY"].isdecimal() and 1 <= int(parts["BYMONTHDAY"]) <= 31:
            return {"repeat": Repeat.MONTHLY_DAY, "month_day": int(parts["BYMONTHDAY"]), **every}
    if parts.get("FREQ") == "MONTHLY" and keys == {"FREQ", "BYDAY"}:
        match = _NTH.match(parts["BYDAY"])
        if match and str(int(match.group(1))) in dict(NTH_CHOICES):
            return {
                "repeat": Repeat.MONTHLY_NTH,
                "nth": str(int(match.group(1))),
                "nth_day": match.group(2),
                **every,
            }
    return {"repeat": Repeat.CUSTOM, "rrule": rule}


class RoutineForm(forms.Form):
    """A routine's schedule with a picker for the common cases and a raw RRULE for the rest."""

    version = _version_field(required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    process = forms.ModelChoiceField(queryset=Process.objects.none())
    repeat = forms.ChoiceField(
        choices=Repeat.choices,
        initial=Repeat.WEEKLY,
        widget=forms.RadioSelect(attrs={"class": "ops-repeat"}),
        label="Repeats",
    )
    weekdays = forms.MultipleChoiceField(
        choices=list(zip(BYDAY, WEEKDAYS, strict=True)),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ops-weekdays"}),
        label="On",
        help_text="For “weekly on chosen days”.",
    )
    interval = forms.IntegerField(
        min_value=1,
        max_value=recurrence.MAX_INTERVAL,
        required=False,
        initial=1,
        label="Every",
        help_text="1 = every day, week or month; 2 = every other one; and so on.",
        widget=forms.NumberInput(attrs={"class": "ops-interval"}),
    )
    nth = forms.ChoiceField(choices=NTH_CHOICES, required=False, label="The", initial="1")
    nth_day = forms.ChoiceField(
        choices=list(zip(BYDAY, WEEKDAYS, strict=True)), required=False, label="Weekday"
    )
    month_day = forms.IntegerField(
        min_value=1,
        max_value=31,
        required=False,
        label="Day of the month",
        help_text="For “monthly on day N”; months without that day are skipped.",
    )
    rrule = forms.CharField(
        max_length=200,
        required=False,
        label="RRULE",
        help_text="RFC 5545, e.g. FREQ=MONTHLY;BYDAY=+2TU (second Tuesday). Only for “custom”.",
    )
    starts_on = forms.DateField(label="Starts on", widget=DatePicker())
    due_time = forms.TimeField(
        label="Due at (local time)",
        initial=dt.time(17, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    shift = forms.ChoiceField(
        choices=ShiftRule.choices,
        label="When due on a non-working day",
        required=False,
        help_text="Uses the calendar below (the standard week if none).",
    )
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.none(), required=False, label="Business calendar"
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    effort_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60 * 5, initial=30, label="Expected effort (minutes)"
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Inactive routines get no new occurrences."
    )
    critical = forms.BooleanField(
        required=False,
        label="Critical routine",
        help_text="A missed occurrence opens a nonconformance.",
    )

    def __init__(
        self, *args: Any, organisation: Organisation, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _require_version(self, editing)
        keep = self.initial.get("process")
        self.fields["process"].queryset = _live(Process, organisation, keep)  # type: ignore[attr-defined]
        self.fields["calendar"].queryset = BusinessCalendar.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )
        # Members only: a guest cannot complete an occurrence, so is never offered (the
        # service refuses one too, as it does for requests).
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=Membership.objects.filter(organisation=organisation)
            .exclude(role=Role.GUEST)
            .values("user_id")
        ).order_by("full_name")

    @staticmethod
    def initial_for(routine: Routine) -> dict[str, Any]:
        return {
            "version": routine.version,
            "name": routine.name,
            "description": routine.description,
            "process": routine.process_id,
            "starts_on": routine.starts_on,
            "due_time": routine.due_time,
            "shift": routine.shift,
            "calendar": routine.calendar_id,
            "assignee": routine.assignee_id,
            "effort_minutes": routine.effort_minutes,
            "active": routine.active,
            "critical": routine.critical,
            **picker_from_rule(routine.rrule, routine.shift),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        repeat = data.get("repeat")
        shift = data.get("shift") or ShiftRule.NONE
        rule = ""
        interval = data.get("interval") or 1
        every = f";INTERVAL={interval}" if interval > 1 else ""
        if repeat == Repeat.DAILY:
            rule = "FREQ=DAILY" + every
        elif repeat == Repeat.WORKDAYS:
            rule = "FREQ=WEEKLY;BYDAY=" + ",".join(BYDAY[:5])
        elif repeat == Repeat.WEEKLY:
            days = [d for d in BYDAY if d in (data.get("weekdays") or [])]
            if not days:
                self.add_error("weekdays", "Choose at least one day.")
            rule = "FREQ=WEEKLY" + every + ";BYDAY=" + ",".join(days)
        elif repeat == Repeat.MONTHLY_DAY:
            if data.get("month_day") is None:
                self.add_error("month_day", "Give the day of the month (1–31).")
            rule = f"FREQ=MONTHLY{every};BYMONTHDAY={data.get('month_day')}"
        elif repeat == Repeat.MONTHLY_NTH:
            nth, day = data.get("nth") or "", data.get("nth_day") or ""
            if not nth:
                self.add_error("nth", "Choose first, second, third, fourth or last.")
            if not day:
                self.add_error("nth_day", "Choose the weekday.")
            rule = f"FREQ=MONTHLY{every};BYDAY={nth}{day}"
        elif repeat == Repeat.MONTHLY_LAST_WORKING:
            rule, shift = "FREQ=MONTHLY;BYMONTHDAY=-1", ShiftRule.PREVIOUS
        elif repeat == Repeat.CUSTOM:
            rule = (data.get("rrule") or "").strip()
            if not rule:
                self.add_error("rrule", "Write the rule, e.g. FREQ=WEEKLY;BYDAY=MO,WE.")
            else:
                try:
                    recurrence.parse_rule(rule, data.get("starts_on") or dt.date.today())
                except ValueError as exc:
                    self.add_error("rrule", str(exc))
        data["rule"], data["shift"] = rule, shift
        return data

    def values(self) -> dict[str, Any]:
        """What the services take (``process`` is handled by the view)."""
        d = self.cleaned_data
        keys = ["name", "description", "starts_on", "due_time", "calendar", "assignee"]
        return {
            **{k: d[k] for k in keys},
            "rrule": d["rule"],
            "shift": d["shift"],
            "effort_minutes": d["effort_minutes"],
            "active": d["active"],
            "critical": d["critical"],
        }


class StepForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(max_length=200, label="Step", required=False)
    evidence = forms.ChoiceField(
        choices=Evidence.choices,
        initial=Evidence.NONE,
        widget=forms.Select(attrs={"aria-label": "Evidence"}),
    )
    min_value = forms.FloatField(required=False, label="Min")
    max_value = forms.FloatField(required=False, label="Max")
    unit = forms.CharField(max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and high < low:
            self.add_error("max_value", "Below the minimum.")
        if (low is not None or high is not None) and data.get("evidence") != Evidence.NUMBER:
            self.add_error("evidence", "Limits need “a number within limits”.")
        if not (data.get("text") or "").strip() and data.get("id"):
            self.add_error("text", "A kept step needs a text (tick “remove” to drop it).")
        return data


StepFormSet = forms.formset_factory(StepForm, extra=3, can_delete=True, max_num=40)


def step_specs(formset: Any) -> list[Any]:
    """Steps in order from a valid formset; blank new rows and removed rows are skipped."""
    from twofold.operations.services import StepSpec

    specs = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not (data.get("text") or "").strip():
            continue
        specs.append(
            StepSpec(
                text=data["text"],
                evidence=data["evidence"],
                min_value=data.get("min_value"),
                max_value=data.get("max_value"),
                unit=data.get("unit") or "",
                id=data.get("id"),
            )
        )
    return specs


# --- Request assignment and KPI change points (views_work) ---------------------------------


class AssignForm(forms.Form):
    # Members who may be given requests (guests only look on), from the organisation's people
    # rows kept per process (accounts.people_field): the request page builds no User per option.
    assignee = PeopleField(required=False, empty_label="Unassigned")
    version = forms.IntegerField(min_value=1)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, PeopleField)
        field.people_of(organisation, no_guests=True)
        field.error_messages["invalid_choice"] = "Choose a member of this organisation."


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)
    version = forms.IntegerField(min_value=1)


class ChangePointForm(forms.Form):
    date = forms.DateField(widget=DatePicker())
    label = forms.CharField(max_length=160, help_text="What changed, e.g. “New mould release”.")
