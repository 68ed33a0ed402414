"""Forms for close-out pages. The routine, KPI and queue forms are the operations forms (same
fields, same checks) without the process, which is the handover's; they turn their cleaned data
into a part's JSON ``spec`` for ``services.add_part``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from twofold.accounts.models import Organisation, Team
from twofold.closeout.models import DocumentKind
from twofold.core.fields import DatePicker
from twofold.operations.forms import KpiForm, QueueForm, RoutineForm, step_specs
from twofold.operations.models import Kpi, Priority, Process, Queue, Routine
from twofold.operations.services import FIRST_DAY, LAST_DAY
from twofold.projects.checklists import GATE_PHASES
from twofold.projects.models import Phase, Project

DATE = DatePicker()


def _existing(model: type[Any], process: Process | None, what: str) -> forms.ModelChoiceField[Any]:
    """Pick one of the receiving process's objects to change (a new process has none yet)."""
    field: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=model.objects.filter(process=process, archived_at__isnull=True).order_by("name")
        if process is not None
        else model.objects.none(),
        required=False,
        label=f"Changes an existing {what}",
        empty_label=f"No: a new {what}",
        help_text=f"Pick one of {process.name}'s {what}s to change it instead."
        if process is not None
        else "",
    )
    if process is None:
        field.widget = forms.HiddenInput()
    return field


class PartRoutineForm(RoutineForm):
    def __init__(
        self, *args: Any, process: Process | None, organisation: Organisation, **kwargs: Any
    ) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        for name in ("process", "version", "active"):
            del self.fields[name]
        self.fields["existing"] = _existing(Routine, process, "routine")

    def clean_starts_on(self) -> Any:
        """The range the part is checked against (``parts``), before ``clean`` works the rule
        out from this day (a start in the year 9999 answered 500 until 2026-12-06)."""
        day = self.cleaned_data["starts_on"]
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError("The start date must fall between 1980 and 2149.")
        return day

    def spec(self, steps: Any) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "description": d["description"],
            "rrule": d["rule"],
            "starts_on": d["starts_on"].isoformat(),
            "due_time": d["due_time"].strftime("%H:%M"),
            "shift": d["shift"],
            "effort_minutes": d["effort_minutes"],
            "assignee_id": d["assignee"].pk if d["assignee"] else None,
            "calendar_id": d["calendar"].pk if d["calendar"] else None,
            "steps": [
                {
                    "text": s.text,
                    "evidence": s.evidence,
                    "min_value": s.min_value,
                    "max_value": s.max_value,
                    "unit": s.unit,
                }
                for s in step_specs(steps)
            ],
        }


class PartKpiForm(KpiForm):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, process: Process | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["existing"] = _existing(Kpi, process, "KPI")

    def spec(self) -> dict[str, Any]:
        d = self.cleaned_data
        keys = ["description", "unit", "good_direction", "target", "amber_threshold"]
        return {
            **{k: d[k] for k in keys},
            "red_threshold": d["red_threshold"],
            "frequency": d["frequency"],
        }


class PartQueueForm(QueueForm):
    def __init__(
        self, *args: Any, process: Process | None, organisation: Organisation, **kwargs: Any
    ) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        for name in ("process", "version"):
            del self.fields[name]
        self.fields["existing"] = _existing(Queue, process, "queue")

    def spec(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "description": d["description"],
            "calendar_id": d["calendar"].pk,
            "sla_hours": {p: d["sla_hours"][p] for p in Priority.values},
        }


class ProcessChangeForm(forms.Form):
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="New description",
        help_text="How the process runs once the project's results are in it.",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label="New team")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)  # type: ignore[attr-defined]

    def spec(self) -> dict[str, Any]:
        team = self.cleaned_data["team"]
        return {
            "description": self.cleaned_data["description"],
            "team_id": team.pk if team else None,
        }


class DocumentForm(forms.Form):
    name = forms.CharField(max_length=160, label="Title")
    doc_kind = forms.ChoiceField(choices=DocumentKind.choices, label="Kind")
    file = forms.FileField(help_text="Stored with the project's attachments.")


class HypercareForm(forms.Form):
    starts_on = forms.DateField(required=False, label="Hypercare from", widget=DATE)
    ends_on = forms.DateField(required=False, label="Hypercare until", widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class LessonForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=160)
    worked = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What worked"
    )
    did_not_work = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What did not work"
    )
    recommendation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    process = forms.ModelChoiceField(
        queryset=Process.objects.none(), required=False, label="Affects process"
    )
    template: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, label="Affects project template"
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        from twofold.project_templates.models import ProjectTemplate

        super().__init__(*args, **kwargs)
        # Live processes, plus the one an edited lesson already names (archived since): the
        # edit keeps that link instead of dropping it (``services`` lets it stay).
        keep = self.initial.get("process")
        live = Q(archived_at__isnull=True)
        if keep:
            live |= Q(pk=getattr(keep, "pk", keep))
        self.fields["process"].queryset = Process.objects.filter(  # type: ignore[attr-defined]
            live, organisation=organisation
        ).order_by("name")
        self.fields["template"].queryset = ProjectTemplate.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ToImprovementForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    process = forms.ModelChoiceField(queryset=Process.objects.none(), label="For process")
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, label="Owner"
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        from twofold.accounts.models import User

        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = Process.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, archived_at__isnull=True
        ).order_by("name")
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(memberships__organisation=organisation)
            .exclude(memberships__role="guest")
            .order_by("full_name")
        )


class ToRiskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label="On project")
    probability = forms.IntegerField(min_value=1, max_value=5, initial=3)
    impact = forms.IntegerField(min_value=1, max_value=5, initial=3)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = (  # type: ignore[attr-defined]
            Project.objects.filter(organisation=organisation, archived_at__isnull=True)
            .exclude(phase=Phase.CLOSURE)
            .order_by("code")
        )


class ToTemplateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    template: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, label="Template")
    phase = forms.ChoiceField(
        choices=[(p.value, f"Gate out of {p.label}") for p in GATE_PHASES], label="Gate"
    )
    text = forms.CharField(max_length=200, label="Checklist item to add")

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        from twofold.project_templates.models import ProjectTemplate

        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ProjectTemplate.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")
