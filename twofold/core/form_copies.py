"""Each form instance's own copy of its class's fields, made without ``copy.deepcopy``'s walk.

Django gives every form instance ``copy.deepcopy(base_fields)``: each field, its widget and its
choices through the generic deep-copy machinery. The task page builds six forms per view and
spent ~0.3 ms there (docs/benchmarks-web.md). :func:`fast_copies` makes a form class's fields
copy themselves directly, doing what Django's own ``__deepcopy__`` methods do: the field and its
widget copied (``copy.copy``: the same attributes), the widget's ``attrs``, the field's
``error_messages`` and ``validators`` copied, choices copied as lists — a deep copy of a list of
``(value, label)`` pairs of strings, numbers or lazy texts shares those pairs too. A field or
widget class with its own ``__deepcopy__`` (a model choice field, a multi-widget), or choices
of any other shape (groups), takes Django's way (``accounts.people_field.PeopleField`` has its own,
built on :func:`copy_as_field`).
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from django import forms
from django.forms import widgets
from django.utils.functional import Promise

F = TypeVar("F", bound=type[forms.BaseForm])

_FIELD = forms.Field.__deepcopy__
_CHOICE_FIELD = forms.ChoiceField.__deepcopy__
_WIDGET = widgets.Widget.__deepcopy__
_CHOICE_WIDGET = widgets.ChoiceWidget.__deepcopy__
_ATOMIC = (str, int, float, bool, type(None))


_OWN_COPYING = ("__copy__", "__reduce_ex__", "__reduce__", "__getstate__", "__slots__")
_PLAIN: dict[type, bool] = {}
_PAIRS: dict[int, tuple[list[Any], bool]] = {}  # id → (the list, kept alive; verdict)


def _shallow(obj: Any) -> Any:
    """``copy.copy(obj)`` without its dispatch: a new instance with the same ``__dict__`` when
    the class copies that way by default (no ``__copy__``, ``__reduce__``, state or slots of
    its own)."""
    kind = type(obj)
    plain = _PLAIN.get(kind)
    if plain is None:
        plain = _PLAIN[kind] = not any(
            name in vars(cls) for cls in kind.__mro__[:-1] for name in _OWN_COPYING
        )
    if not plain:
        return copy.copy(obj)
    copied = object.__new__(kind)
    copied.__dict__.update(obj.__dict__)
    return copied


def _flat_pairs(choices: Any) -> bool:
    """``choices`` is a list of ``(value, label)`` pairs that a deep copy would share (kept
    per list: only the class's own fields' lists come here)."""
    if type(choices) is not list:
        return False
    known = _PAIRS.get(id(choices))
    if known is not None and known[0] is choices:
        return known[1]
    verdict = all(
        type(pair) is tuple
        and len(pair) == 2
        and all(isinstance(part, (*_ATOMIC, Promise)) for part in pair)
        for pair in choices
    )
    _PAIRS[id(choices)] = (choices, verdict)
    return verdict


def _copy_widget(widget: Any, memo: dict[int, Any]) -> Any:
    kind = type(widget).__deepcopy__
    if kind is _WIDGET or (kind is _CHOICE_WIDGET and _flat_pairs(widget.choices)):
        copied = _shallow(widget)
        copied.attrs = widget.attrs.copy()
        if kind is _CHOICE_WIDGET:  # normalised already: the setter would give the same
            copied._choices = list(widget._choices)
        memo[id(widget)] = copied
        return copied
    return copy.deepcopy(widget, memo)


def copy_as_field(field: Any, memo: dict[int, Any]) -> Any:
    """What ``forms.Field.__deepcopy__`` makes (for a subclass's own ``__deepcopy__``)."""
    copied = _shallow(field)
    memo[id(field)] = copied
    copied.widget = _copy_widget(field.widget, memo)
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


def _copy_field(field: Any, memo: dict[int, Any]) -> Any:
    kind = type(field).__deepcopy__
    if kind is _FIELD:
        return copy_as_field(field, memo)
    if kind is _CHOICE_FIELD and _flat_pairs(field._choices):
        copied = copy_as_field(field, memo)
        copied._choices = list(field._choices)
        return copied
    return copy.deepcopy(field, memo)


class _Fields(dict[str, forms.Field]):
    """A form class's ``base_fields`` whose deep copy (each new form's ``fields``) is made by
    :func:`_copy_field`."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {name: _copy_field(field, memo) for name, field in self.items()}


def fast_copies(form_class: F) -> F:
    """Class decorator: new instances of ``form_class`` copy its fields as described above.
    (Subclasses get their own ``base_fields`` from Django's metaclass: decorate them too.)"""
    classes: Any = form_class  # base_fields is set by Django's metaclass, not declared
    classes.base_fields = _Fields(classes.base_fields)
    return form_class
