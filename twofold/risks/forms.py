"""Forms for risk pages: they parse input; services decide and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from twofold.accounts.models import Role, User
from twofold.core.fields import DatePicker, IdMultipleChoiceField
from twofold.projects.models import Project, Task
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY
from twofold.risks.models import (
    IMPACT_LABELS,
    MAX_ITERATIONS,
    PROBABILITY_LABELS,
    Category,
    Distribution,
    Response,
    Risk,
    RiskStatus,
)

MISSING_VERSION = "This form is missing its version: reload the page and make your change again."


def _days_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0"}),
    )


class RiskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    category = forms.ChoiceField(choices=Category.choices)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    probability = forms.TypedChoiceField(
        coerce=int, choices=[(k, f"{k} – {v}") for k, v in PROBABILITY_LABELS.items()], initial=3
    )
    impact = forms.TypedChoiceField(
        coerce=int, choices=[(k, f"{k} – {v}") for k, v in IMPACT_LABELS.items()], initial=3
    )
    status = forms.ChoiceField(choices=RiskStatus.choices)
    response = forms.ChoiceField(choices=Response.choices, initial=Response.MITIGATE)
    mitigation = forms.CharField(
        label="Mitigation plan", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    due_date = forms.DateField(
        required=False,
        widget=DatePicker(),
        validators=[
            MinValueValidator(FIRST_DAY, message=DATE_MESSAGE),
            MaxValueValidator(LAST_DAY, message=DATE_MESSAGE),
        ],
    )
    tasks = IdMultipleChoiceField(
        queryset=Task.objects.none(),
        required=False,
        label="Linked tasks",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Tasks the risk would delay. Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    impact_min_days = _days_field("Minimum delay (working days)")
    impact_likely_days = _days_field("Most likely delay (working days)")
    impact_max_days = _days_field("Maximum delay (working days)")

    def __init__(self, *args: Any, project: Project, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].required = editing
        self.fields["version"].error_messages["required"] = MISSING_VERSION
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__organisation_id=project.organisation_id,
            memberships__role__in=[Role.MEMBER, Role.ADMIN, Role.OWNER],
        ).order_by("full_name")
        # Summaries too: a risk on a phase delays its tasks (the API and the simulation take
        # them), and a task linked before it got subtasks must stay selected on a save.
        tasks = Task.objects.filter(project=project).order_by("position")
        self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
        # Indented under their summaries, a summary marked as one: "Procurement (phase)".
        parents = dict(tasks.values_list("pk", "parent_id"))

        def depth(pk: int) -> int:
            level, seen, up = 0, {pk}, parents.get(pk)
            while up is not None and up not in seen:
                seen.add(up)
                level, up = level + 1, parents.get(up)
            return level

        self.fields["tasks"].label_from_instance = lambda t: (  # type: ignore[attr-defined]
            "\u2003" * depth(t.pk) + t.name + (" (phase)" if t.is_summary else "")
        )

    @staticmethod
    def initial_for(risk: Risk) -> dict[str, Any]:
        return {
            "version": risk.version,
            "title": risk.title,
            "description": risk.description,
            "category": risk.category,
            "owner": risk.owner,
            "probability": risk.probability,
            "impact": risk.impact,
            "status": risk.status,
            "response": risk.response,
            "mitigation": risk.mitigation,
            "due_date": risk.due_date,
            "tasks": list(risk.tasks.all()),
            "impact_min_days": risk.impact_min_days,
            "impact_likely_days": risk.impact_likely_days,
            "impact_max_days": risk.impact_max_days,
        }


class SimulationForm(forms.Form):
    """The settings of a run; the estimate table is parsed from ``est-<task>-o|m|p`` inputs."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    distribution = forms.ChoiceField(choices=Distribution.choices)
    iterations = forms.IntegerField(min_value=100, max_value=MAX_ITERATIONS)
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text="Same seed and inputs, same result.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].error_messages["required"] = MISSING_VERSION


def parse_estimates(
    data: Any, tasks: dict[int, str]
) -> tuple[dict[int, tuple[int, int, int]], list[str]]:
    """``est-<id>-o``, ``-m``, ``-p`` in working days → minutes per task, and the errors found."""
    out: dict[int, tuple[int, int, int]] = {}
    errors: list[str] = []
    for task_id, name in tasks.items():
        raw = [data.get(f"est-{task_id}-{k}", "") for k in "omp"]
        if not any(str(v).strip() for v in raw):
            continue
        try:
            days = [Decimal(str(v).strip()) for v in raw]
        except ArithmeticError:
            errors.append(f"{name}: give three numbers of working days.")
            continue
        if any(not d.is_finite() or d < 0 or d > 2000 for d in days):
            errors.append(f"{name}: give days between 0 and 2000.")
            continue
        low, mode, high = (round(d * 480) for d in days)
        out[task_id] = (low, mode, high)
    return out, errors
