"""Forms for change control: they parse input; services decide and write."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from twofold.accounts.models import Role, User
from twofold.changes.impact import ItemSpec
from twofold.changes.models import ItemKind
from twofold.core.fields import DatePicker, IdMultipleChoiceField
from twofold.projects.models import Project, Task
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY

ITEM_ROWS = 5


class ChangeForm(forms.Form):
    title = forms.CharField(max_length=160)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why is it needed?"
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    scope_text = forms.CharField(
        label="Scope change",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Appended to the project's scope statement when approved.",
    )
    target_finish = forms.DateField(
        label="New target finish",
        required=False,
        widget=DatePicker(),
        error_messages={"invalid": DATE_MESSAGE},
    )
    budget_change = forms.DecimalField(
        label="Budget change",
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="Added to the budget (negative to reduce) as a planned expense line.",
    )

    def clean_target_finish(self) -> Any:
        day = self.cleaned_data.get("target_finish")
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(DATE_MESSAGE)
        return day


def _task_choices(tasks: list[Task]) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(t.pk), f"{t.name}") for t in tasks]


class ItemForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), *ItemKind.choices], required=False, label="Change")
    task = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Task")
    name = forms.CharField(max_length=200, required=False, label="New task name")
    parent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Under")
    predecessor = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="After"
    )
    days = forms.IntegerField(min_value=0, max_value=2000, required=False, label="Days")

    def __init__(self, *args: Any, tasks: list[Task], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _task_choices(tasks)
        summaries = [("", "— top level —")] + [(str(t.pk), t.name) for t in tasks if t.is_summary]
        task_field = self.fields["task"]
        parent_field = self.fields["parent"]
        pred_field = self.fields["predecessor"]
        assert isinstance(task_field, forms.TypedChoiceField)
        assert isinstance(parent_field, forms.TypedChoiceField)
        assert isinstance(pred_field, forms.TypedChoiceField)
        task_field.choices = choices
        parent_field.choices = summaries
        pred_field.choices = choices

    def spec(self) -> ItemSpec | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        kind = data["kind"]
        days = data.get("days")
        if kind in ("add", "resize") and days is None:
            self.add_error("days", "Give the duration in working days (0 for a milestone).")
            return None
        return ItemSpec(
            kind=kind,
            task_id=data.get("task"),
            name=data.get("name") or "",
            parent_id=data.get("parent") if kind == "add" else None,
            predecessor_id=data.get("predecessor") if kind in ("add", "link") else None,
            days=days,
        )


class ItemsFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    pass


ItemFormSetFactory = forms.formset_factory(
    ItemForm, formset=ItemsFormSet, extra=ITEM_ROWS, max_num=50
)


def change_values(form: ChangeForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "reason": data["reason"],
        "description": data.get("description") or "",
        "scope_text": data.get("scope_text") or "",
        "target_finish": data.get("target_finish"),
        "budget_change": data.get("budget_change") or Decimal(0),
    }


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Note",
        help_text="Required to reject: the reason is kept with the request.",
    )


class BoardForm(forms.Form):
    people = IdMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    # The board the page showed ("3,8,12"): saving over a board someone changed since is a 409.
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)

    def seen_ids(self) -> list[int] | None:
        """The people the page showed on the board (None: the form did not say)."""
        if "seen" not in self.data:
            return None
        text = str(self.cleaned_data.get("seen") or "")
        return sorted(int(x) for x in text.split(",") if re.fullmatch(r"[0-9]{1,18}", x))

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["people"]
        assert isinstance(field, IdMultipleChoiceField)
        field.queryset = (
            User.objects.filter(
                memberships__organisation_id=organisation_id,
            )
            .exclude(memberships__organisation_id=organisation_id, memberships__role=Role.GUEST)
            .order_by("full_name")
        )


def tasks_for_form(project: Project) -> list[Task]:
    return list(
        Task.objects.filter(project=project).only("pk", "name", "is_summary").order_by("position")
    )
