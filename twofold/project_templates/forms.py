"""Forms for templates: save a project as one, start a project from one."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.accounts.fiscal import today_of
from twofold.accounts.models import Organisation
from twofold.accounts.people_field import people_query as _people
from twofold.project_templates.models import ProjectTemplate
from twofold.projects.forms import _date_field
from twofold.projects.models import Programme


class SaveTemplateForm(forms.Form):
    name = forms.CharField(max_length=160, label="Template name")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class FromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=ProjectTemplate.objects.none())
    name = forms.CharField(max_length=160, label="Project name")
    code = forms.CharField(max_length=20, help_text="A short reference, e.g. OPX-07.")
    target_start = _date_field(
        label="Start", help_text="Tasks keep their order, durations and links from this day."
    )
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), required=False)
    manager = forms.ModelChoiceField(queryset=Programme.objects.none(), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("target_start", today_of(organisation))
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ProjectTemplate.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        )
        self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, archived_at=None
        )
        self.fields["manager"].queryset = _people(organisation, no_guests=True)  # type: ignore[attr-defined]


class RenameForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=160)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
