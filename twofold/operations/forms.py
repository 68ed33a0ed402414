"""Forms for operations pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.accounts.models import Organisation, Team, User
from twofold.operations.models import (
    Evidence,
    Frequency,
    GoodDirection,
    Priority,
    RoutineStep,
    Status,
)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProcessForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    annual_budget = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, initial=0, label="Annual budget"
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__organisation=organisation
        )
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)  # type: ignore[attr-defined]


class SpendForm(forms.Form):
    spent_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    description = forms.CharField(max_length=200)


class KpiForm(forms.Form):
    name = forms.CharField(max_length=120)
    unit = forms.CharField(max_length=20, required=False, help_text="e.g. %, h, parts")
    good_direction = forms.ChoiceField(choices=GoodDirection.choices, label="Good direction")
    target = forms.FloatField()
    amber_threshold = forms.FloatField(required=False, label="Amber threshold")
    red_threshold = forms.FloatField(label="Red threshold")
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.WEEKLY)


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    value = forms.FloatField()
    note = forms.CharField(max_length=200, required=False)


class CsvForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="Columns: date,value[,note]. One bad row and nothing is saved."
    )


class BaselineForm(VersionedForm):
    baseline_start = forms.DateField(
        label="Baseline from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    baseline_end = forms.DateField(
        label="Baseline to",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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

    def __init__(self, *args: Any, steps: list[RoutineStep], **kwargs: Any) -> None:
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
                self.fields[name] = forms.CharField(
                    label=f"{label}{unit}",
                    help_text=", ".join(limits),
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            elif step.evidence == Evidence.PASS_FAIL:
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=[("pass", "Pass"), ("fail", "Fail")],
                    widget=forms.RadioSelect,
                )
            elif step.evidence == Evidence.FILE:
                self.fields[name] = forms.FileField(label=label)
