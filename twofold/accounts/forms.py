"""Forms for accounts pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms

from twofold.accounts.models import Organisation, Role, User

MONTHS = [
    (i, name)
    for i, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
]


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class VersionedForm(forms.Form):
    """Carries the version the user loaded, for optimistic concurrency."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class OrganisationForm(VersionedForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    timezone = forms.ChoiceField(choices=[])
    fiscal_year_start_month = forms.TypedChoiceField(
        choices=MONTHS, coerce=int, label="Fiscal year starts in"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]  # type: ignore[attr-defined]

    @classmethod
    def for_organisation(cls, org: Organisation) -> OrganisationForm:
        return cls(
            initial={
                "name": org.name,
                "description": org.description,
                "timezone": org.timezone,
                "fiscal_year_start_month": org.fiscal_year_start_month,
                "version": org.version,
            }
        )


class AddMemberForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    full_name = forms.CharField(label="Full name", max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(VersionedForm):
    role = forms.ChoiceField(choices=Role.choices)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    lead = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(memberships__organisation=organisation).order_by(
            "full_name", "email"
        )
        self.fields["lead"].queryset = people  # type: ignore[attr-defined]
        self.fields["members"].queryset = people  # type: ignore[attr-defined]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What it is for, e.g. “KPI uploader”.")
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        coerce=int,
        choices=[(7, "in 7 days"), (30, "in 30 days"), (90, "in 90 days"), (365, "in a year")],
        initial=90,
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    pass


class JobTitleForm(VersionedForm):
    job_title = forms.CharField(
        label="Job title",
        max_length=120,
        required=False,
        help_text="Shown beside the name on the people list and the person's page.",
    )
