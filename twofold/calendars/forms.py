"""Forms of the calendars page: the calendar (name, base, default, hours per weekday) and a holiday."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from twofold.accounts.models import Organisation
from twofold.calendars.models import Calendar, Repeat
from twofold.calendars.working_time import clock, period_minutes
from twofold.core.fields import DatePicker

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_FIELDS = [f"day_{d}" for d in range(7)]
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
CLOSED = "closed"
STALE_FORM = (
    "This form is missing the version you edited: reload the page and make your change again."
)


def hours_text(ranges: list[list[str]] | None) -> str:
    """``[["08:00", "12:30"], ...]`` as "08:00–12:30, …"; ``[]`` as "closed"; None as ""."""
    if ranges is None:
        return ""
    return ", ".join(f"{a}–{b}" for a, b in ranges) or CLOSED


def parse_periods(text: str) -> list[list[str]]:
    """ "08:00–12:00, 13:00–17:00" → pairs; "closed" → []; raises ValueError with a message."""
    text = text.strip()
    if text.lower() == CLOSED:
        return []
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"“{part}” is not a period like 08:00–12:30.")
        first, last = (t.zfill(5) for t in match.groups())
        try:
            start, end = period_minutes(first, last)
        except ValueError as exc:
            if "must end after" in str(exc):
                raise ValueError(f"“{part}” ends before it starts.") from exc
            raise ValueError(f"“{part}” is not a time of day.") from exc
        pairs.append([clock(start), clock(end)])
    return pairs


class CalendarForm(forms.Form):
    """Name, base calendar, default flag and working periods per weekday (as text)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=80)
    base = forms.ModelChoiceField(
        queryset=Calendar.objects.none(),
        required=False,
        empty_label="None (a calendar of its own)",
        label="Derived from",
        help_text="A derived calendar keeps its base's holidays and the weekdays you leave empty.",
    )
    is_default = forms.BooleanField(
        required=False,
        label="Organisation default",
        help_text="Projects without a calendar of their own schedule on the default.",
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        calendar: Calendar | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Editing checks the version the form was opened with (a stale save answers 409).
        self.fields["version"].required = calendar is not None
        self.fields["version"].error_messages["required"] = STALE_FORM
        bases = Calendar.objects.filter(organisation=organisation)
        if calendar is not None:
            bases = bases.exclude(pk=calendar.pk)
        self.fields["base"].queryset = bases  # type: ignore[attr-defined]
        for d, day in enumerate(WEEKDAYS):
            self.fields[f"day_{d}"] = forms.CharField(
                label=day,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "closed", "class": "cal-hours-input"}),
            )
        if calendar is not None and calendar.is_default:
            self.fields["is_default"].disabled = True

    @staticmethod
    def initial_for(calendar: Calendar) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": calendar.version,
            "name": calendar.name,
            "base": calendar.base_id,
            "is_default": calendar.is_default,
        }
        for d in range(7):
            initial[f"day_{d}"] = hours_text(calendar.hours.get(str(d)))
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        derived = data.get("base") is not None
        hours: dict[str, list[list[str]]] = {}
        for d in range(7):
            text = (data.get(f"day_{d}") or "").strip()
            if not text and derived:
                continue  # as in the base calendar
            try:
                hours[str(d)] = parse_periods(text)
            except ValueError as exc:
                self.add_error(f"day_{d}", str(exc))
        data["hours"] = hours
        return data


class NewCalendarForm(forms.Form):
    """A new calendar: a name, and optionally the calendar it derives from."""

    name = forms.CharField(max_length=80)
    base = forms.ModelChoiceField(
        queryset=Calendar.objects.none(),
        required=False,
        empty_label="None: start from the Standard week",
        label="Derived from",
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base"].queryset = Calendar.objects.filter(organisation=organisation)  # type: ignore[attr-defined]


class HolidayForm(forms.Form):
    """One holiday: a name, its days, how it repeats, and (optionally) short-day hours."""

    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": STALE_FORM})
    name = forms.CharField(max_length=120, label="Holiday")
    start = forms.DateField(label="First day", widget=DatePicker())
    end = forms.DateField(
        label="Last day",
        required=False,
        widget=DatePicker(),
        help_text="Empty = one day.",
    )
    repeat = forms.ChoiceField(choices=Repeat.choices, initial=Repeat.ONCE, required=False)
    week_of_month = forms.TypedChoiceField(
        label="Which weekday of the month",
        choices=[
            ("", "As the first day"),
            ("1", "First"),
            ("2", "Second"),
            ("3", "Third"),
            ("4", "Fourth"),
            ("5", "Last"),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Only for “every year on the same weekday”, e.g. the last Monday of May.",
    )
    hours = forms.CharField(
        required=False,
        label="Working hours on these days",
        help_text="Empty = closed; e.g. 08:00–12:00 for a short day.",
    )

    def clean_repeat(self) -> str:
        return self.cleaned_data.get("repeat") or Repeat.ONCE

    def clean_hours(self) -> list[list[str]]:
        text = self.cleaned_data.get("hours") or ""
        if not text.strip() or text.strip().lower() == CLOSED:
            return []
        try:
            return parse_periods(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
