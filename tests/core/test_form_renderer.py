"""The fast <select> renderer writes exactly what Django's templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from twofold.core.form_renderer import FastSelectRenderer

CHOICES: list[Any] = [
    ("", "---------"),
    (1, 'Ada "the <first>" & Co'),
    (2, mark_safe("<b>safe</b>")),
    ("Group & <co>", [("a", "A'1"), ("b", "B")]),
    (0, "Zero"),
]


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), 1),
        (
            forms.Select(choices=CHOICES, attrs={"class": "x", "data-q": 'a"b', "disabled": True}),
            "",
        ),
        (forms.Select(choices=CHOICES, attrs={"required": False, "aria-x": 0}), 0),
        (forms.SelectMultiple(choices=CHOICES), [1, "a"]),
        (forms.NullBooleanSelect(), None),
        (forms.Select(choices=[]), None),
    ],
)
def test_select_markup_is_identical_to_djangos_templates(widget: Any, value: Any) -> None:
    django_html = widget.render("who", value, attrs={"id": "id_who"}, renderer=DjangoTemplates())
    fast_html = widget.render("who", value, attrs={"id": "id_who"}, renderer=FastSelectRenderer())
    assert fast_html == django_html


def test_other_widgets_still_use_the_templates() -> None:
    widget = forms.TextInput()
    assert widget.render("n", "<x>", renderer=FastSelectRenderer()) == (
        '<input type="text" name="n" value="&lt;x&gt;">'
    )
