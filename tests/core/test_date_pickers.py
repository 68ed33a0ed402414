"""Every date box shows its value: ``<input type="date">`` only takes ISO dates (2026-12-17).

A ``DateInput`` without ``format`` renders the locale's format (17/12/2026 under en-GB), which
Chromium refuses to show: the absence, reservation, holiday and change-request forms opened
their edits with blank dates (found in a browser review on 2026-12-06).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils import translation

import twofold
from twofold.capacity.forms import AbsenceForm, ReservationForm


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for module in pkgutil.walk_packages(twofold.__path__, "twofold."):
        if not module.name.endswith(".forms") and ".forms_" not in module.name:
            continue
        loaded = importlib.import_module(module.name)
        for _name, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__.startswith("twofold."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_date_box_in_every_form_renders_iso_dates() -> None:
    classes = _form_classes()
    assert len(classes) > 40  # the walk found the apps' forms, not nothing
    date_boxes, wrong = 0, []
    for form_class in classes:
        for name, field in getattr(form_class, "base_fields", {}).items():
            widget = field.widget
            if isinstance(widget, forms.DateInput) and (
                widget.input_type == "date" or widget.attrs.get("type") == "date"
            ):
                date_boxes += 1
                if widget.format != "%Y-%m-%d":
                    wrong.append(f"{form_class.__module__}.{form_class.__qualname__}.{name}")
    assert date_boxes > 15
    assert wrong == []


@pytest.mark.parametrize("form_class", [AbsenceForm, ReservationForm])
def test_an_edit_form_opens_with_its_saved_dates_under_a_british_locale(form_class: type) -> None:
    extra = {"people": [], "teams": []} if form_class is ReservationForm else {}
    form = form_class(
        initial={"start": dt.date(2026, 12, 17), "end": dt.date(2026, 12, 18)}, **extra
    )
    with translation.override("en-gb"):
        html = str(form["start"]) + str(form["end"])
    assert 'value="2026-12-17"' in html
    assert 'value="2026-12-18"' in html
    assert "17/12/2026" not in html
