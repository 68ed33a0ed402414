"""Forms for accounts pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms

from twofold.accounts.models import DateFormat, Organisation, Role, User, WeekStart
from twofold.core.fields import IdMultipleChoiceField

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


def zone_choices() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones())]


def _name_field() -> forms.CharField:
    # No max_length on the input: the service gives the clear "at most 120 characters" message.
    return forms.CharField(label="Organisation name", widget=forms.TextInput())


class OrganisationForm(VersionedForm):
    name = _name_field()
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    timezone = forms.ChoiceField(choices=[], label="Time zone")
    # Optional so that older clients posting without them keep the saved values.
    week_start = forms.TypedChoiceField(
        choices=WeekStart.choices,
        coerce=int,
        label="Weeks start on",
        required=False,
        empty_value=None,
    )
    date_format = forms.ChoiceField(choices=DateFormat.choices, label="Date format", required=False)
    fiscal_year_start_month = forms.TypedChoiceField(
        choices=MONTHS, coerce=int, label="Fiscal year starts in"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = zone_choices()  # type: ignore[attr-defined]

    @classmethod
    def for_organisation(cls, org: Organisation) -> OrganisationForm:
        return cls(
            initial={
                "name": org.name,
                "description": org.description,
                "timezone": org.timezone,
                "week_start": org.week_start,
                "date_format": org.date_format,
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
    members = IdMultipleChoiceField(
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


class _NewPersonForm(forms.Form):
    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class SetUpForm(_NewPersonForm):
    organisation_name = forms.CharField(label="Organisation name")
    timezone = forms.ChoiceField(
        choices=[],
        label="Organisation time zone",
        help_text="Deadlines, SLAs and e-mails use it; each person may choose their own.",
    )

    def __init__(self, *args: Any, default_zone: str = "Europe/London", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = zone_choices()  # type: ignore[attr-defined]
        self.fields["timezone"].initial = default_zone
        if not self.is_bound:  # a fresh form takes the browser's zone; a re-shown one keeps its
            self.fields["timezone"].widget.attrs["data-browser-zone"] = "1"


class SignUpForm(_NewPersonForm):
    pass


class NewOrganisationForm(forms.Form):
    name = _name_field()
    timezone = forms.ChoiceField(choices=[], label="Time zone")
    date_format = forms.ChoiceField(choices=DateFormat.choices, label="Date format")
    week_start = forms.TypedChoiceField(
        choices=WeekStart.choices, coerce=int, label="Weeks start on"
    )

    def __init__(self, *args: Any, default_zone: str = "Europe/London", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = zone_choices()  # type: ignore[attr-defined]
        self.fields["timezone"].initial = default_zone


class DeleteOrganisationForm(forms.Form):
    confirm_name = forms.CharField(
        label="Type the organisation's name to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class PreferencesForm(forms.Form):
    # Not required: a form posted without it (an older page) keeps the name. The length is
    # checked by the service, with its clear message.
    full_name = forms.CharField(
        label="Your name",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text="As every organisation you are in shows it. Blank: your e-mail address.",
    )
    timezone = forms.ChoiceField(
        choices=[],
        required=False,
        label="Your time zone",
        help_text="Every page and e-mail shows times in it. Blank: your organisation's.",
    )

    def __init__(self, *args: Any, organisation_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = f"The organisation's ({organisation_zone})" if organisation_zone else "—"
        self.fields["timezone"].choices = [("", blank), *zone_choices()]  # type: ignore[attr-defined]


class InstanceSettingsForm(VersionedForm):
    allow_signup = forms.BooleanField(
        required=False,
        label="Anyone may sign up",
        help_text="Off: only invited people get an account. Invitations work either way.",
    )


class JobTitleForm(VersionedForm):
    job_title = forms.CharField(
        label="Job title",
        max_length=120,
        required=False,
        help_text="Shown beside the name on the people list and the person's page.",
    )
