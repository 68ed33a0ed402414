"""Forms of the cost pages: they parse input; services decide and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from twofold.accounts.models import User
from twofold.core.fields import DatePicker
from twofold.costs.models import ExpenseCategory
from twofold.costs.money import CURRENCIES, LOCALES
from twofold.costs.selectors import FISCAL_YEARS

DATE = DatePicker()


class CostSettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    currency = forms.ChoiceField(
        choices=[(c, f"{c} ({s})") for c, (s, _) in sorted(CURRENCIES.items())],
        help_text="ISO 4217: every amount in the organisation is in this currency.",
    )
    locale = forms.ChoiceField(
        label="Write amounts as", choices=[(k, v.label) for k, v in LOCALES.items()]
    )


class RateForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    role = forms.CharField(
        max_length=120, required=False, help_text="Or a job title: applies to everyone with it."
    )
    hourly = forms.DecimalField(
        label="Hourly rate", min_value=Decimal(0), decimal_places=2, max_digits=10
    )
    overtime_factor = forms.DecimalField(
        min_value=Decimal(1), max_value=Decimal(5), decimal_places=2, initial=Decimal("1.00")
    )
    effective_from = forms.DateField(widget=DATE)


class ExpenseForm(forms.Form):
    target = forms.ChoiceField(label="Project or process")
    spent_on = forms.DateField(label="Date", widget=DATE)
    category = forms.ChoiceField(choices=ExpenseCategory.choices)
    amount = forms.DecimalField(min_value=Decimal("0.01"), decimal_places=2, max_digits=12)
    supplier = forms.CharField(max_length=160, required=False)
    description = forms.CharField(max_length=200)
    attachment = forms.FileField(
        required=False, help_text="A receipt or invoice (PDF, image), up to 10 MB."
    )


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        max_length=300,
        required=False,
        label="Reason (when returning)",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ResubmitForm(forms.Form):
    """A returned expense, corrected by the person who recorded it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    description = forms.CharField(label="Description", max_length=200)


class BudgetForm(forms.Form):
    fiscal_year = forms.IntegerField(
        widget=forms.HiddenInput, min_value=FISCAL_YEARS[0], max_value=FISCAL_YEARS[-1]
    )
    # The budget's version when the page was read (0: none yet): a stale save is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    amount = forms.DecimalField(
        label="Budget", min_value=Decimal(0), decimal_places=2, max_digits=14
    )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        # The year is a hidden field: its error is said above the form, where it is seen.
        for message in self.errors.pop("fiscal_year", []):
            self.add_error(
                None,
                f"Choose a fiscal year from {FISCAL_YEARS[0]} to {FISCAL_YEARS[-1]} ({message})",
            )
        return cleaned
