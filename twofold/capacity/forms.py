"""Forms for capacity pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from twofold.accounts.models import Team
from twofold.capacity.levelling import MAX_OPTIMISE_SECONDS
from twofold.capacity.models import HOUR_FIELDS, WEEKDAY_NAMES, AbsenceKind
from twofold.capacity.selectors import DEFAULT_WEEKS, MAX_WEEKS
from twofold.capacity.services import MAX_NOTE

# The window the capacity view can show: far enough for any plan, never near date's limits.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)


class UsageFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From week of", widget=forms.DateInput(attrs={"type": "date"})
    )
    weeks = forms.IntegerField(required=False, min_value=1, max_value=MAX_WEEKS, label="Weeks")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Everyone", label="Team"
    )

    def clean_start(self) -> dt.date | None:
        start: dt.date | None = self.cleaned_data.get("start")
        if start is not None and not FIRST_DAY <= start <= LAST_DAY:
            raise forms.ValidationError(
                f"Choose a week between {FIRST_DAY.year} and {LAST_DAY.year}."
            )
        return start

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Team.objects.filter(pk__in=[t.pk for t in teams]).order_by("name")

    def values(self, today: dt.date) -> tuple[dt.date, int, Team | None]:
        """The chosen window and team; the defaults where a value is missing or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return (
            data.get("start") or today,
            data.get("weeks") or DEFAULT_WEEKS,
            data.get("team"),
        )


class CellForm(forms.Form):
    person = forms.IntegerField(min_value=1)
    week = forms.DateField()


class LevelForm(forms.Form):
    method = forms.ChoiceField(
        choices=[("heuristic", "Quick (heuristic)"), ("optimise", "Optimise")],
        required=False,
        initial="heuristic",
        widget=forms.RadioSelect,
    )
    seconds = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OPTIMISE_SECONDS,
        initial=5,
        label="Optimise for up to (seconds)",
    )


class ApplyForm(forms.Form):
    version = forms.CharField(max_length=40, widget=forms.HiddenInput)
    moves = forms.CharField(widget=forms.HiddenInput, max_length=20000)

    def clean_moves(self) -> dict[int, dt.date]:
        """``"12:2025-03-04,13:2025-03-06"`` → ``{12: date, 13: date}``."""
        raw = self.cleaned_data["moves"]
        moves: dict[int, dt.date] = {}
        for part in raw.split(","):
            if not part.strip():
                continue
            try:
                task_id, day = part.split(":", 1)
                moves[int(task_id)] = dt.date.fromisoformat(day.strip())
            except ValueError as exc:
                raise forms.ValidationError("The levelling moves are malformed.") from exc
        if not moves:
            raise forms.ValidationError("Nothing to apply: levelling moves no task.")
        return moves


HOURS_WIDGET = {"step": "0.25", "min": "0", "max": "24", "inputmode": "decimal"}


class PatternForm(forms.Form):
    """Hours per weekday; the service checks the range again and names the day's field."""

    effective_from = forms.DateField(
        required=False,
        label="From",
        help_text="The day this pattern starts. Leave empty to change the pattern in effect today.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in zip(HOUR_FIELDS, WEEKDAY_NAMES, strict=True):
            self.fields[name] = forms.DecimalField(
                min_value=0,
                max_value=24,
                decimal_places=2,
                label=label,
                widget=forms.NumberInput(attrs=HOURS_WIDGET),
            )
        self.order_fields([*HOUR_FIELDS, "effective_from", "note", "version"])

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in HOUR_FIELDS]


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(choices=AbsenceKind.choices, label="Kind")
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    half_day = forms.BooleanField(
        required=False, label="Half day", help_text="Only for a single day: takes half its hours."
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
