"""Forms for budgets: they parse input; services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.evm.models import CostCategory
from twofold.projects.models import Project, Task


class RateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    labour_rate = forms.DecimalField(
        label="Planned labour rate (per hour)", min_value=0, max_digits=10, decimal_places=2
    )


class LineForm(forms.Form):
    category = forms.ChoiceField(
        choices=[c for c in CostCategory.choices if c[0] != CostCategory.LABOUR]
    )
    description = forms.CharField(max_length=200)
    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    account = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Control account"
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "— whole project —")] + [
            (str(pk), name)
            for pk, name in Task.objects.filter(
                project=project, parent__isnull=True, is_summary=True
            )
            .order_by("position")
            .values_list("pk", "name")
        ]
