"""Forms for improvement pages. They only parse and validate input; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from twofold.accounts.models import Membership, Organisation, Role, User
from twofold.core.fields import DatePicker
from twofold.improvement.deliverables import default_deliverables
from twofold.improvement.models import DEFAULT_DELIVERABLES, Effort
from twofold.operations.models import Process
from twofold.projects.models import Project

STALE_FORM = (
    "This form is missing the version you edited: reload the page and make your change again."
)
BENEFITS = [
    (1, "1 — a little"),
    (2, "2"),
    (3, "3 — noticeable"),
    (4, "4"),
    (5, "5 — a lot"),
]


def _version(required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        required=required,
        error_messages={"required": STALE_FORM},
    )


def _people(organisation: Organisation) -> Any:
    """Members of ``organisation`` who are not guests in it (a guest in another organisation
    is still a member here: an exclude across every membership dropped them)."""
    members = Membership.objects.filter(organisation=organisation).exclude(role=Role.GUEST)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("full_name", "email")


def _live_processes(organisation: Organisation, keep: Any = None) -> Any:
    """Processes to pick from: not archived, plus the current one when editing."""
    live = Q(archived_at__isnull=True)
    if keep:
        live |= Q(pk=getattr(keep, "pk", keep))
    return Process.objects.filter(organisation=organisation).filter(live)


class ItemForm(forms.Form):
    title = forms.CharField(max_length=160)
    problem = forms.CharField(
        label="Problem statement",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What goes wrong, where, and how often — facts, not solutions.",
    )
    process = forms.ModelChoiceField(queryset=Process.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    expected_benefit = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="e.g. “Scrap back under 2.2 %, about €40,000 a year”.",
    )
    benefit = forms.TypedChoiceField(choices=BENEFITS, coerce=int, initial=3)
    effort = forms.ChoiceField(choices=Effort.choices, initial=Effort.MEDIUM)
    root_cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why it happens (5 whys, fishbone): the cause the countermeasure removes.",
    )
    countermeasure = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="What we change (Do)."
    )
    check_notes = forms.CharField(
        label="Check",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What the data showed after the change.",
    )
    act = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Standardise, adjust or abandon — and where it is written down.",
    )
    version = _version(required=False)

    def __init__(self, *args: Any, organisation: Organisation, editing: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["process"].queryset = _live_processes(organisation, self.initial.get("process"))  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _people(organisation)  # type: ignore[attr-defined]
        self.fields["version"].required = editing


class StatusForm(forms.Form):
    status = forms.CharField(max_length=12, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, required=False)
    version = _version()


class StartProjectForm(forms.Form):
    name = forms.CharField(max_length=160, label="Project name")
    manager = forms.ModelChoiceField(queryset=User.objects.none(), label="Project manager")
    target_start = forms.DateField(widget=DatePicker())
    target_finish = forms.DateField(widget=DatePicker(), required=False)
    version = _version()

    def __init__(self, *args: Any, organisation: Organisation, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["manager"].queryset = _people(organisation)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, finish = data.get("target_start"), data.get("target_finish")
        if start and finish and finish < start:
            self.add_error("target_finish", "The target finish must be on or after the start.")
        return data


class CompleteForm(forms.Form):
    result = forms.CharField(
        label="Measured result",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed, measured the same way as the problem.",
    )
    result_value = forms.FloatField(
        required=False,
        label="Result value",
        help_text="Leave empty to take the KPI's latest value.",
    )
    version = _version()


class HandoverForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none())
    process = forms.ModelChoiceField(
        queryset=Process.objects.none(),
        label="Receiving process",
        required=False,
        empty_label="A new process (name it below)",
        help_text="An existing process, or leave this for a new one the handover creates.",
    )
    new_process_name = forms.CharField(
        max_length=120,
        required=False,
        label="New process: name",
        help_text="Created in operations, with everything the handover lists, on acceptance.",
    )
    new_process_owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="New process: owner",
        help_text="They accept the handover and own the process.",
    )
    new_process_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        label="New process: description",
    )
    deliverables = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        initial="\n".join(DEFAULT_DELIVERABLES),
        help_text="One per line; the process owner accepts once every one is ticked.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["project"].queryset = Project.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, archived_at__isnull=True
        )
        # The organisation's handover deliverables (Settings → Checklists), else the defaults.
        self.fields["deliverables"].initial = "\n".join(default_deliverables(organisation.pk))
        self.fields["process"].queryset = _live_processes(organisation)  # type: ignore[attr-defined]
        self.fields["new_process_owner"].queryset = _people(organisation)  # type: ignore[attr-defined]

    def clean_deliverables(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["deliverables"].splitlines()]
        return [line for line in lines if line]


class NewProcessForm(forms.Form):
    """The drafted new process on the handover page (the project team edits it)."""

    # The handover's version: a part drafted on the page (htmx) moves it, and the page's
    # closeout.js updates every input so marked.
    version = forms.IntegerField(
        widget=forms.HiddenInput(attrs={"data-handover-version": ""}),
        min_value=1,
        error_messages={"required": STALE_FORM},
    )
    new_process_name = forms.CharField(max_length=120, label="Name")
    new_process_owner = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Owner", help_text="They accept the handover."
    )
    new_process_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        label="Description",
    )

    def __init__(self, *args: Any, organisation: Organisation, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["new_process_owner"].queryset = _people(organisation)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, label="Reason or note")
    version = _version()


class GoLiveForm(forms.Form):
    go_live = forms.DateField(
        label="Went live on",
        required=False,
        widget=DatePicker(),
        help_text="The process's KPIs get a change point on this day; leave empty to clear it.",
    )
    version = _version()
