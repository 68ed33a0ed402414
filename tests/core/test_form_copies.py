"""A form's fields copied by ``core.form_copies`` are what Django's deep copy makes: the same
attributes, and every part a form may change (widget, attrs, messages, validators, choices) its
own."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django import forms
from django.utils.translation import gettext_lazy

from twofold.comments.forms import CommentForm
from twofold.core.form_copies import _Fields, fast_copies
from twofold.projects import forms as project_forms


@fast_copies
class _Sample(forms.Form):
    name = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"class": "x"}))
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", gettext_lazy("Bee")), (3, "Three")])
    grouped = forms.ChoiceField(choices=[("Group", [("g", "G")]), ("h", "H")])
    when = forms.TypedChoiceField(choices=[(1, "One")], coerce=int)
    many = forms.MultipleChoiceField(choices=[("m", "M")], widget=forms.CheckboxSelectMultiple)
    split = forms.SplitDateTimeField()  # a multi-value field: Django's own copy


FORMS = [
    _Sample,
    CommentForm,
    project_forms.TaskDetailForm,
    project_forms.ChecklistForm,
    project_forms.TaskPersonForm,
    project_forms.TaskPersonUnitsForm,
    project_forms.TaskResourcingForm,
]


def _state(field: Any) -> dict[str, Any]:
    out = dict(vars(field))
    out["widget"] = (type(field.widget), dict(vars(field.widget)))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):  # a choices iterator
        return type(a) is type(b) and vars(a).keys() == vars(b).keys()
    return bool(a == b)


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_the_copy_is_what_django_copies(form_class: Any) -> None:
    assert type(form_class.base_fields) is _Fields
    fast = copy.deepcopy(form_class.base_fields)
    django = {name: copy.deepcopy(field) for name, field in form_class.base_fields.items()}
    assert type(fast) is dict and list(fast) == list(django)
    for name, field in fast.items():
        original = form_class.base_fields[name]
        assert type(field) is type(django[name])
        assert field is not original and field.widget is not original.widget
        assert field.widget.attrs is not original.widget.attrs
        assert field.error_messages is not original.error_messages
        assert field.validators is not original.validators
        if hasattr(original, "_choices") and isinstance(original._choices, list):
            assert field._choices == original._choices
            assert field._choices is not original._choices
            assert field.widget.choices is not original.widget.choices
        if hasattr(getattr(field.widget, "choices", None), "field"):  # a model choice field's
            assert field.widget.choices.field is field
        ours, theirs = _state(field), _state(django[name])
        assert ours.keys() == theirs.keys()
        for key in ours:
            if key in ("widget", "fields"):
                continue
            if key == "_queryset":  # querysets compare by identity: the same (empty) query
                mine_qs, their_qs = ours[key], theirs[key]
                assert mine_qs.model is their_qs.model
                assert mine_qs.query.is_empty() == their_qs.query.is_empty()
                continue
            assert _same(ours[key], theirs[key]), (name, key)
        assert ours["widget"][0] is theirs["widget"][0]
        mine, django_widget = ours["widget"][1], theirs["widget"][1]
        assert mine.keys() == django_widget.keys()
        for key in mine:
            assert _same(mine[key], django_widget[key]), (name, "widget", key)


def test_a_form_changes_only_its_own_fields() -> None:
    first, second = _Sample(), _Sample()
    first.fields["name"].widget.attrs["class"] = "changed"
    first.fields["kind"].choices = [("z", "Z")]
    first.fields["name"].error_messages["required"] = "Say it"
    assert second.fields["name"].widget.attrs == {"class": "x", "maxlength": "20"}
    assert [c[0] for c in second.fields["kind"].choices] == ["a", "b", 3]
    assert second.fields["name"].error_messages["required"] != "Say it"
    assert _Sample.base_fields["kind"].widget.choices == _Sample.base_fields["kind"].choices
    bound = _Sample({"name": "n", "kind": "b", "grouped": "g", "when": "1", "many": ["m"]})
    bound.is_valid()
    assert bound.cleaned_data["when"] == 1 and bound.cleaned_data["kind"] == "b"
    assert "split" in bound.errors  # the multi-value field validates as before
