from __future__ import annotations

from typing import Any

from django import forms

from twofold.interchange.models import FeedKind
from twofold.projects.models import Project


class FeedForm(forms.Form):
    kind = forms.ChoiceField(choices=FeedKind.choices, label="Feed of", initial=FeedKind.PERSON)
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        label="Project",
        help_text="For a project feed: its milestones and the gates it has passed.",
    )

    def __init__(self, *args: Any, projects: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.fields["project"].queryset = projects  # type: ignore[attr-defined]


class MspdiUploadForm(forms.Form):
    file = forms.FileField(
        label="Microsoft Project XML file",
        help_text="An .xml file saved from Project (File → Save As → XML Format). At most 64 MiB.",
    )


class MspdiApplyForm(forms.Form):
    """Import choices: new project or update, its name and code, who each resource is."""

    mode = forms.ChoiceField(
        choices=[("new", "Create a new project"), ("update", "Update the project imported before")],
        initial="new",
        widget=forms.RadioSelect,
        label="Import as",
    )
    name = forms.CharField(max_length=160, required=False, label="Project name")
    code = forms.CharField(
        max_length=20,
        required=False,
        label="Project code",
        help_text="Left empty: made from the name.",
    )

    def __init__(
        self,
        *args: Any,
        resources: list[dict[str, Any]] | None = None,
        members: list[Any] | None = None,
        can_update: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Leave unassigned")] + [
            (str(m.pk), f"{m.full_name or m.email} ({m.email})") for m in members or []
        ]
        self.resource_uids: list[int] = []
        for r in resources or []:
            key = f"resource_{r['uid']}"
            self.fields[key] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=f"Resource “{r['name']}”" + (f" <{r['email']}>" if r["email"] else ""),
                initial=str(r["member"]) if r["member"] else "",
            )
            self.resource_uids.append(int(r["uid"]))
        if not can_update:
            self.fields["mode"].choices = [("new", "Create a new project")]  # type: ignore[attr-defined]

    def resource_map(self) -> dict[int, int | None]:
        out: dict[int, int | None] = {}
        for uid in self.resource_uids:
            value = self.cleaned_data.get(f"resource_{uid}") or ""
            out[uid] = int(value) if value else None
        return out


class SheetUploadForm(forms.Form):
    """A task list to upload and where its tasks go."""

    file = forms.FileField(
        label="Spreadsheet (.xlsx or .csv)",
        help_text="The first sheet of a workbook; one task per row under a header row. At most 16 MiB.",
    )
    target = forms.ChoiceField(label="Import into", choices=[])

    def __init__(
        self, *args: Any, projects: Any = (), may_create: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (str(p.pk), f"{p.name} ({p.code}): add the tasks after its last one") for p in projects
        ]
        if may_create:
            choices.append(("new", "A new project"))
        self.fields["target"].choices = choices  # type: ignore[attr-defined]


class SheetMappingForm(forms.Form):
    """Which column holds which task field (each select lists the file's columns)."""

    name = forms.CharField(max_length=160, required=False, label="New project's name")
    code = forms.CharField(
        max_length=20,
        required=False,
        label="New project's code",
        help_text="Left empty: made from the file name.",
    )

    def __init__(
        self, *args: Any, columns: list[str], targets: Any, new_project: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(i), name) for i, name in enumerate(columns)]
        self.targets = [t for t, _label in targets]
        for target, label in targets:
            self.fields[f"col_{target}"] = forms.ChoiceField(
                choices=choices, required=False, label=label
            )
        if not new_project:
            del self.fields["name"]
            del self.fields["code"]

    def mapping(self) -> dict[str, Any]:
        return {t: self.cleaned_data.get(f"col_{t}") or None for t in self.targets}

    def target_fields(self) -> list[Any]:
        return [self[f"col_{t}"] for t in self.targets]


class OrganisationImportForm(forms.Form):
    file = forms.FileField(
        label="Organisation export (.zip)",
        help_text="A .zip file exported from Twofold (Settings → Export & import).",
    )
    name = forms.CharField(
        label="Name of the new organisation",
        max_length=120,
        required=False,
        help_text="Leave blank to keep the name in the archive.",
    )
