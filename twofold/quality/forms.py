"""Forms for quality pages. They only parse input; services check the rules and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from twofold.accounts.models import Organisation, User
from twofold.core.fields import DatePicker
from twofold.operations.models import Process
from twofold.quality.models import ActionKind, ActionStatus, Severity

STALE_FORM = (
    "This form is missing the version you edited: reload the page and make your change again."
)
DATE = DatePicker()


def _version() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, error_messages={"required": STALE_FORM}
    )


def _members(organisation: Organisation) -> Any:
    return User.objects.filter(memberships__organisation=organisation).order_by("full_name")


def _processes(organisation: Organisation) -> Any:
    return Process.objects.filter(organisation=organisation, archived_at__isnull=True)


class RaiseForm(forms.Form):
    """Raise a nonconformance by hand."""

    title = forms.CharField(max_length=200)
    process = forms.ModelChoiceField(queryset=Process.objects.none(), required=False)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MINOR)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What was found, where and against which requirement.",
    )
    containment = forms.CharField(
        label="Containment action",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What was done at once to limit the effect (you can add it later).",
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = _processes(organisation)  # type: ignore[attr-defined]


class RecordForm(forms.Form):
    """The working record: severity, containment and root cause."""

    version = _version()
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    containment = forms.CharField(
        label="Containment action",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What was done at once (quarantine, rework, re-check).",
    )
    root_cause = forms.CharField(
        label="Root cause",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why it happened (e.g. from a 5-whys).",
    )


class ActionForm(forms.Form):
    """A corrective or preventive action."""

    kind = forms.ChoiceField(choices=ActionKind.choices, initial=ActionKind.CORRECTIVE)
    description = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(label="Due on", widget=DATE)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members(organisation)  # type: ignore[attr-defined]


class ActionEditForm(ActionForm):
    version = _version()
    status = forms.ChoiceField(choices=ActionStatus.choices)
    done_on = forms.DateField(
        label="Done on", widget=DATE, required=False, help_text="Today if left empty."
    )
    outcome = forms.CharField(max_length=300, required=False, help_text="What was done.")


class VerifyForm(forms.Form):
    """Verification of effectiveness by the process owner."""

    version = _version()
    verification = forms.CharField(
        label="Verification result",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How effectiveness was checked and what was found.",
    )
    effective = forms.TypedChoiceField(
        label="Were the actions effective?",
        choices=[("yes", "Effective"), ("no", "Not effective")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    verified_on = forms.DateField(
        label="Verified on", widget=DATE, required=False, help_text="Today if left empty."
    )


class CloseForm(forms.Form):
    version = _version()


class AuditForm(forms.Form):
    """The range of an audit trail export."""

    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To (inclusive)", widget=DATE)

    def clean(self) -> dict[str, Any]:
        """Days the calendars cover (1980-2149), as the API's audit export takes them: the
        last day of 9999 overflowed a day later (a 500)."""
        from django.core.exceptions import ValidationError

        from twofold.core.dates import require_day_in_range
        from twofold.core.errors import Invalid

        data = super().clean() or {}
        for name in ("start", "end"):
            try:
                require_day_in_range(data.get(name), name)
            except Invalid as exc:
                self.add_error(name, ValidationError(exc.message))
        return data

    @staticmethod
    def initial_for(today: dt.date) -> dict[str, Any]:
        return {"start": today.replace(month=1, day=1), "end": today}
