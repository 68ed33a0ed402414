"""Forms for custom fields. They parse input; services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.core.fields import DatePicker
from twofold.customfields.models import AppliesTo, FieldDefinition, Kind
from twofold.customfields.selectors import Row


class DefinitionForm(forms.Form):
    name = forms.CharField(max_length=80)
    applies_to = forms.ChoiceField(choices=AppliesTo.choices, label="Applies to")
    kind = forms.ChoiceField(choices=Kind.choices)
    choices = forms.CharField(
        required=False,
        label="Options",
        help_text="For a choice field: one option per line.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    required = forms.BooleanField(required=False)
    order = forms.IntegerField(initial=0, min_value=-1000, max_value=1000)
    show_on_cards = forms.BooleanField(
        required=False, label="Show on cards and lists", help_text="Projects only."
    )

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class DefinitionEditForm(DefinitionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["applies_to"]
        del self.fields["kind"]

    @classmethod
    def initial_for(cls, d: FieldDefinition) -> dict[str, Any]:
        return {
            "name": d.name,
            "choices": "\n".join(d.choices),
            "required": d.required,
            "order": d.order,
            "show_on_cards": d.show_on_cards,
            "version": d.version,
        }


class ValuesForm(forms.Form):
    """One input per field (``field_<id>``) and the version each value was read at."""

    def __init__(self, rows: list[Row], *args: Any, **kwargs: Any) -> None:
        initial: dict[str, Any] = {f"field_{r.definition.pk}": r.raw for r in rows}
        initial.update({f"version_{r.definition.pk}": r.version for r in rows})
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.rows = rows
        for r in rows:
            d = r.definition
            field: forms.Field
            if d.kind == Kind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—")] + [(c, c) for c in d.choices], required=False
                )
            elif d.kind == Kind.DATE:
                field = forms.CharField(required=False, widget=DatePicker())
            elif d.kind == Kind.NUMBER:
                field = forms.CharField(
                    required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            else:
                field = forms.CharField(required=False, max_length=2000)
            field.label = d.name + (" *" if d.required else "")
            self.fields[f"field_{d.pk}"] = field
            self.fields[f"version_{d.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=0
            )

    def values(self) -> tuple[dict[int, Any], dict[int, int | None]]:
        data = self.cleaned_data
        ids = [r.definition.pk for r in self.rows]
        return (
            {i: data.get(f"field_{i}", "") for i in ids},
            {i: data.get(f"version_{i}") for i in ids},
        )
