"""Forms for programmes and the project lifecycle pages (they parse; services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.accounts.models import Organisation
from twofold.accounts.people_field import people_query as _people
from twofold.projects.forms import _date_field
from twofold.projects.models import Programme, Project


class ProgrammeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120)
    manager = forms.ModelChoiceField(queryset=Programme.objects.none(), required=False)
    objectives = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="What the programme must achieve. Markdown: **bold**, lists, links.",
    )
    start = _date_field(required=False)
    finish = _date_field(required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = _people(organisation, no_guests=True)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(programme: Programme) -> dict[str, Any]:
        return {
            "version": programme.version,
            "name": programme.name,
            "manager": programme.manager_id,
            "objectives": programme.objectives,
            "start": programme.start,
            "finish": programme.finish,
        }


class AssignForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label="Add a project")

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = (  # type: ignore[attr-defined]
            Project.objects.filter(organisation_id=programme.organisation_id, archived_at=None)
            .exclude(programme=programme)
            .select_related("programme")
            .only("name", "code", "version", "programme_id", "programme__name")
            .order_by("name")
        )
