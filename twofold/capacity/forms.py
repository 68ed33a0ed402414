"""Forms for capacity pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from twofold.accounts.models import Team
from twofold.capacity.levelling import MAX_OPTIMISE_SECONDS
from twofold.capacity.models import HOUR_FIELDS, WEEKDAY_NAMES, AbsenceKind
from twofold.capacity.selectors import DEFAULT_WEEKS, MAX_WEEKS, WINDOW_MESSAGE
from twofold.capacity.selectors import FIRST_DAY as FIRST_WINDOW_DAY
from twofold.capacity.selectors import LAST_DAY as LAST_WINDOW_DAY
from twofold.capacity.services import MAX_NOTE
from twofold.core.fields import INT64_MAX, DatePicker

# The days the capacity views may start on (inside the calendars' range with their weeks).
FIRST_DAY = FIRST_WINDOW_DAY
LAST_DAY = LAST_WINDOW_DAY


class UsageFilterForm(forms.Form):
    start = forms.DateField(required=False, label="From week of", widget=DatePicker())
    weeks = forms.IntegerField(required=False, min_value=1, max_value=MAX_WEEKS, label="Weeks")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Everyone", label="Team"
    )

    def clean_start(self) -> dt.date | None:
        start: dt.date | None = self.cleaned_data.get("start")
        if start is not None and not FIRST_DAY <= start <= LAST_DAY:
            raise forms.ValidationError(WINDOW_MESSAGE)
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
    person = forms.IntegerField(min_value=1, max_value=INT64_MAX)
    week = forms.DateField(
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )


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


MAX_MOVES = 20_000
"""Moves one apply may carry (page and API): a 2,000-task plan's preview moved 1,269 tasks."""


class ApplyForm(forms.Form):
    version = forms.CharField(max_length=40, widget=forms.HiddenInput)
    # "id:YYYY-MM-DD," is at most 22 characters a move (ids below 10**10).
    moves = forms.CharField(
        widget=forms.HiddenInput,
        max_length=MAX_MOVES * 22,
        error_messages={
            "max_length": f"At most {MAX_MOVES:,} moves can be applied at once; this preview "
            "has more."
        },
    )

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
        if len(moves) > MAX_MOVES:
            raise forms.ValidationError(
                f"At most {MAX_MOVES:,} moves can be applied at once; this preview has "
                f"{len(moves):,}."
            )
        return moves


HOURS_WIDGET = {"step": "0.25", "min": "0", "max": "24", "inputmode": "decimal"}


class PatternForm(forms.Form):
    """Hours per weekday; the service checks the range again and names the day's field."""

    effective_from = forms.DateField(
        required=False,
        label="From",
        help_text="The day this pattern starts. Leave empty to change the pattern in effect today.",
        widget=DatePicker(),
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE, label="Note")
    max_units = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="Maximum units (%)",
        help_text="The most one task may take of this person's day (admins change it).",
        widget=forms.NumberInput(attrs={"step": "1", "inputmode": "numeric"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The changes of pattern the page listed ("2026-03-01:2,…"): a change saved from a date
    # replaces the one the page showed for it, never one saved since (409).
    dated = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)

    def dated_version(self, day: dt.date) -> int | None:
        """The version the page showed for the change of pattern from ``day`` (0: none shown
        there); None when the form did not say (an older page, the API)."""
        if "dated" not in self.data:
            return None
        for pair in str(self.cleaned_data.get("dated") or "").split(","):
            shown, _, version = pair.partition(":")
            if shown == day.isoformat() and re.fullmatch(r"[0-9]{1,9}", version):
                return int(version)
        return 0

    def __init__(self, *args: Any, units_editable: bool = True, **kwargs: Any) -> None:
        # Its own ids: the absence form beside it on the availability page has a "note" and a
        # "version" too (two id_note: the pattern's label named the absence's input).
        kwargs.setdefault("auto_id", "pattern_%s")
        super().__init__(*args, **kwargs)
        if not units_editable:
            self.fields["max_units"].disabled = True
        for name, label in zip(HOUR_FIELDS, WEEKDAY_NAMES, strict=True):
            self.fields[name] = forms.DecimalField(
                min_value=0,
                max_value=24,
                decimal_places=2,
                label=label,
                widget=forms.NumberInput(attrs=HOURS_WIDGET),
            )
        self.order_fields([*HOUR_FIELDS, "effective_from", "note", "max_units", "version", "dated"])

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in HOUR_FIELDS]


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(choices=AbsenceKind.choices, label="Kind")
    start = forms.DateField(label="From", widget=DatePicker())
    end = forms.DateField(label="To", widget=DatePicker())
    half_day = forms.BooleanField(
        required=False, label="Half day", help_text="Only for a single day: takes half its hours."
    )
    note = forms.CharField(required=False, max_length=MAX_NOTE, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReservationForm(forms.Form):
    """A standing reservation of one person's or one team's time."""

    label = forms.CharField(
        max_length=120, label="Reserved for", help_text="e.g. On-call for Line 2"
    )
    percent = forms.IntegerField(
        label="Share of the time (%)",
        min_value=1,
        max_value=100,
        help_text="Of each day's available hours (after holidays and absences).",
    )
    person = forms.TypedChoiceField(label="Person", required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label="or team", required=False, coerce=int, empty_value=None)
    start = forms.DateField(label="From", widget=DatePicker())
    end = forms.DateField(
        label="To",
        required=False,
        widget=DatePicker(),
        help_text="Empty: until further notice.",
    )

    def __init__(self, *args: Any, people: list[Any], teams: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person_field = self.fields["person"]
        team_field = self.fields["team"]
        assert isinstance(person_field, forms.TypedChoiceField)
        assert isinstance(team_field, forms.TypedChoiceField)
        person_field.choices = [("", "—")] + [(p.pk, p.display_name) for p in people]
        team_field.choices = [("", "—")] + [(t.pk, t.name) for t in teams]
        self._people = {p.pk: p for p in people}
        self._teams = {t.pk: t for t in teams}

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "label": data["label"],
            "percent": data["percent"],
            "start": data["start"],
            "end": data.get("end"),
            "person": self._people.get(data.get("person") or 0),
            "team": self._teams.get(data.get("team") or 0),
        }
