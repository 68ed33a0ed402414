"""Forms for capacity pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from twofold.accounts.models import Team
from twofold.capacity.levelling import MAX_OPTIMISE_SECONDS
from twofold.capacity.selectors import DEFAULT_WEEKS, MAX_WEEKS


class UsageFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From week of", widget=forms.DateInput(attrs={"type": "date"})
    )
    weeks = forms.IntegerField(required=False, min_value=1, max_value=MAX_WEEKS, label="Weeks")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Everyone", label="Team"
    )

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
