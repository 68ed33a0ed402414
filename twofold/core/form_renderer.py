"""Django's form renderer, with ``<select>``, ``<input>`` and ``<textarea>`` written in Python.

Django renders each ``<option>`` through ``select_option.html`` and ``attrs.html``: on a page
with a select of 200 people that was the largest part of the page's time (docs/benchmarks-web.md).
Each input goes through three templates (``text.html`` → ``input.html`` → ``attrs.html``): a
task page's five forms spent ~10 ms there. :class:`FastSelectRenderer` writes the very same
markup (byte for byte, escaping included: the tests compare it with Django's templates) for
those widgets and leaves every other one (radio lists, multi-widgets, ...) to the templates.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import SafeString, mark_safe

from twofold.core.escape import esc as _esc

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# Django's templates that are exactly ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
)


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"``, a bare `` name`` for True, nothing for False."""
    if not attrs:
        return ""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_esc(name)}")
        else:
            out.append(f' {_esc(name)}="{_esc(str(value))}"')
    return "".join(out)


def select_html(widget: dict[str, Any]) -> str:
    """``select.html`` with its options, as Django's templates render it (then stripped)."""
    parts = [f'<select name="{_esc(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_esc(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{_esc(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{_esc(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


def input_html(widget: dict[str, Any]) -> str:
    """``input.html``: type, name, the value unless it is None, then the attributes."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_esc(str(value))}"'
    return (
        f'<input type="{_esc(widget["type"])}" '
        f'name="{_esc(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def textarea_html(widget: dict[str, Any]) -> str:
    """``textarea.html``: the value (when truthy) after a newline, as the template writes it."""
    value = widget["value"]
    text = _esc(value) if value else ""
    return f'<textarea name="{_esc(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


class FastSelectRenderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's templates, except plain selects, inputs and textareas."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if not isinstance(widget, dict):
            return super().render(template_name, context, request)
        if template_name in INPUTS and widget.get("type"):
            return input_html(widget)
        if template_name == TEXTAREA:
            return textarea_html(widget)
        if (
            template_name == SELECT
            and isinstance(widget, dict)
            and all(
                option.get("template_name") == OPTION
                for _name, choices, _index in widget["optgroups"]
                for option in choices
            )
        ):
            return select_html(widget)
        return super().render(template_name, context, request)


_Options = tuple[tuple[str, ...], tuple[str, ...]]


def _option_markup(pairs: tuple[tuple[Any, Any], ...]) -> _Options:
    """Each option's value as text and its markup (unselected)."""
    texts = tuple("" if value is None else str(value) for value, _label in pairs)
    html = tuple(
        f'\n  <option value="{_esc(text)}">{_esc(label)}</option>\n'
        for text, (_value, label) in zip(texts, pairs, strict=True)
    )
    return texts, html


# Kept per list of plain pairs: the task page's two people selects, and every page after it,
# share one escaping.
_options = functools.lru_cache(maxsize=64)(_option_markup)
_CACHED_OPTIONS = 1_000
"""Longest list of options kept in :data:`_options`."""


def _plain(pairs: tuple[tuple[Any, Any], ...]) -> bool:
    """Pairs whose markup cannot change: int/str values (or None), str labels (a lazy label
    follows the active language, a safe one is written as it is)."""
    return all(
        (value is None or type(value) in (int, str)) and type(label) is str
        for value, label in pairs
    )


class FastSelect(forms.Select):
    """A single ``<select>`` written straight from its choices under :class:`FastSelectRenderer`.

    Django builds a dictionary per option (``optgroups`` → ``create_option``) before any renderer
    sees it: ~3 µs an option, 1.2 ms for the task page's two selects of 200 people. This writes
    the markup :func:`select_html` writes (the tests compare it with Django's templates) from
    the ``(value, label)`` pairs, the escaped options of plain pairs kept per list
    (:func:`_options`); grouped choices, multiple selection and other renderers take Django's
    path.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if renderer is None:
            renderer = get_default_renderer()
        if self.allow_multiple_selected or not isinstance(renderer, FastSelectRenderer):
            return super().render(name, value, attrs, renderer)
        # Choices that vouch for being plain pairs (the people fields) skip the checks below.
        known = getattr(self.choices, "plain_pairs", None)
        pairs = known() if known is not None else None
        if pairs is not None:
            plain = True
        else:
            pairs = tuple(self.choices)
            if any(isinstance(label, (list, tuple)) for _value, label in pairs):  # groups
                return super().render(name, value, attrs, renderer)
            plain = _plain(pairs)
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = set(widget["value"])
        head = f'<select name="{_esc(widget["name"])}"{_attrs(widget["attrs"])}>'
        # Long lists (a big plan's tasks) change with every edit: kept out of the cache, where
        # they would push out the people lists it is for.
        cached = plain and len(pairs) <= _CACHED_OPTIONS
        texts, options = (_options if cached else _option_markup)(pairs)
        parts = [head, *options, "\n</select>"]
        for index, text in enumerate(texts):  # Django marks the first chosen value only
            if text in chosen:
                parts[index + 1] = options[index].replace('">', '" selected>', 1)
                break
        return mark_safe("".join(parts).strip())  # noqa: S308 - every value above is escaped
