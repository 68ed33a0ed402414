"""Writing and reading the history of changes (services call ``record``)."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import translation

from twofold.core import dates
from twofold.core.fastread import FastRead, Read
from twofold.core.models import HistoryEntry
from twofold.core.policy import organisation_id_of


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


# Called after commit with (model label, pk, organisation id) for every recorded change; a feature
# app that keeps derived data (the search index) registers one in its AppConfig.ready, so core
# imports no feature app and every service that records history keeps that data current.
ChangeListener = Callable[[str, Any, int], None]
_listeners: list[ChangeListener] = []
# Listeners that also want the names of the fields a plain "updated" entry changed (None for
# every other entry), so they can skip work the change cannot affect.
FieldsListener = Callable[[str, Any, int, frozenset[str] | None], None]
_fields_listeners: list[FieldsListener] = []


def on_change(listener: ChangeListener) -> None:
    """Call ``listener(label, pk, organisation_id)`` after the commit of each recorded change."""
    if listener not in _listeners:
        _listeners.append(listener)


def on_change_with_fields(listener: FieldsListener) -> None:
    """As :func:`on_change`, with a fourth argument: the changed fields of an ``updated`` entry
    (``None`` when the entry is anything else: created, deleted, a named action)."""
    if listener not in _fields_listeners:
        _fields_listeners.append(listener)


def _notify(label: str, pk: Any, organisation_id: int, fields: frozenset[str] | None) -> None:
    for listener in _listeners:
        listener(label, pk, organisation_id)
    for fields_listener in _fields_listeners:
        fields_listener(label, pk, organisation_id, fields)


# Called inside the writing transaction with (obj, action, organisation id) for every recorded
# change, while the object is at hand (a deleted one included); webhooks register one in
# InterchangeConfig.ready to queue their deliveries, which they send only after the commit.
RecordListener = Callable[[models.Model, str, int], None]
_record_listeners: list[RecordListener] = []
# The same, with the entry's changes (``{field: [from, to]}``, empty when it has none): data
# keyed by what it depends on (the cost figures' stamps) follows the writing transaction.
ChangesListener = Callable[[models.Model, str, int, Mapping[str, list[Any]]], None]
_changes_listeners: list[ChangesListener] = []


def on_record(listener: RecordListener) -> None:
    """Call ``listener(obj, action, organisation_id)`` inside ``record``, before the commit."""
    if listener not in _record_listeners:
        _record_listeners.append(listener)


def on_record_changes(listener: ChangesListener) -> None:
    """Call ``listener(obj, action, organisation_id, changes)`` inside ``record``, before the
    commit (in the writing transaction: what it writes commits or rolls back with the change)."""
    if listener not in _changes_listeners:
        _changes_listeners.append(listener)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields``, ready to diff after a change."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [from, to]}`` for each field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    changes: Mapping[str, list[Any]] | None = None,
    summary: str = "",
) -> HistoryEntry:
    """Append one history entry for ``obj``; call inside the service's transaction.

    After the commit, the registered change listeners hear of it (``on_change``); one that fails
    is logged and never undoes the write (``robust``).
    """
    organisation_id = organisation_id_of(obj)
    if _listeners or _fields_listeners:
        label, pk = obj._meta.label_lower, obj.pk
        fields = frozenset(changes) if action == "updated" and changes else None
        transaction.on_commit(lambda: _notify(label, pk, organisation_id, fields), robust=True)
    for record_listener in _record_listeners:
        record_listener(obj, action, organisation_id)
    for changes_listener in _changes_listeners:
        changes_listener(obj, action, organisation_id, changes or {})
    return HistoryEntry.objects.create(
        organisation_id=organisation_id,
        actor=actor if getattr(actor, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(obj._meta.model),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=action,
        changes=dict(changes or {}),
        summary=summary[:300],
    )


# HistoryEntry.objects.filter(content_type=…, object_id=…, organisation=…)
# .select_related("actor")[:limit] in the model's order, compiled once (core/fastread.py): every
# detail page shows its history. The organisation too: an entry of another organisation never
# shows, whatever its object id says (an imported archive once copied raw ids).
_ENTRIES_OF = FastRead(
    HistoryEntry,
    "t.content_type_id = %s AND t.object_id = %s AND t.organisation_id = %s",
    order_by="t.at DESC, t.id DESC",
    limited=True,
    related="actor",
)


def history_for(obj: models.Model, limit: int = 50, *, viewer: Any) -> list[HistoryEntry]:
    """The newest entries for ``obj`` with their actors, in one query, plus one per kind of
    object their changed references point at (see :func:`name_references`), as ``viewer``
    may read them (:func:`readable_by`: no amounts for those the money rule leaves out)."""
    entries = _ENTRIES_OF.all(entries_read(obj, limit)[1])
    return name_references(readable_by(viewer, obj, entries))


# --- Money in the history ---------------------------------------------------------------------
# Rates, budgets and spend are for the people the money rule names (an organisation's admins,
# a project's manager and sponsor, a process's owner); other members read the same history
# without them. Feature apps say which actions and fields of their objects' history carry money,
# and who may read it (their rule), in their AppConfig.ready; every reader of history (object
# pages, the activity feeds, the history API) passes its entries through ``readable_by``.

MoneyRule = Callable[[Any, Any], bool]


@dataclass
class _Money:
    sees: MoneyRule
    actions: set[str]
    fields: set[str]


_MONEY: dict[str, _Money] = {}


def register_money(
    model_label: str,
    *,
    sees: MoneyRule,
    actions: Iterable[str] = (),
    fields: Iterable[str] = (),
) -> None:
    """Entries of ``model_label`` ("projects.project") with one of ``actions`` carry money as a
    whole; ``fields`` are the money among an entry's changes. ``sees(user, obj)`` is the money
    rule for such an object. Several apps may register parts of one model: the parts add up,
    and they must name the same rule."""
    label = model_label.lower()
    found = _MONEY.get(label)
    if found is None:
        _MONEY[label] = _Money(sees, set(actions), set(fields))
        return
    if found.sees is not sees:
        raise ValueError(f"{model_label}: money is already read by {found.sees.__qualname__}")
    found.actions.update(actions)
    found.fields.update(fields)


def _carries(money: _Money, entry: HistoryEntry) -> bool:
    return entry.action in money.actions or bool(money.fields & (entry.changes or {}).keys())


def _without_money(money: _Money, entry: HistoryEntry) -> HistoryEntry | None:
    """``entry`` for someone who may not read the money in it (None: nothing left)."""
    if entry.action in money.actions:
        return None
    kept = {k: v for k, v in (entry.changes or {}).items() if k not in money.fields}
    if not kept and not entry.summary:
        return None
    entry = copy.copy(entry)
    entry.changes = kept
    return entry


class MoneyFilter:
    """:func:`readable_by` over a stream of entries of many objects (an export of the whole
    history): each object's rule is asked once; the objects of a kind are read in one query
    when the first entry of that kind with money comes."""

    def __init__(self, viewer: Any, organisation_id: int) -> None:
        self.viewer = viewer
        self.organisation_id = organisation_id
        self._objects: dict[int, dict[Any, models.Model]] = {}
        self._sees: dict[tuple[int, Any], bool] = {}

    def __call__(self, entry: HistoryEntry) -> HistoryEntry | None:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        money = _MONEY.get(model._meta.label_lower) if model is not None else None
        if money is None or model is None or not _carries(money, entry):
            return entry
        key = (entry.content_type_id, entry.object_id)
        sees = self._sees.get(key)
        if sees is None:
            objects = self._objects.get(entry.content_type_id)
            if objects is None:
                objects = model._base_manager.filter(organisation_id=self.organisation_id).in_bulk()
                self._objects[entry.content_type_id] = objects
            found = objects.get(entry.object_id)
            sees = found is not None and money.sees(self.viewer, found)
            self._sees[key] = sees
        return entry if sees else _without_money(money, entry)


def readable_by(viewer: Any, obj: models.Model, entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """``entries`` of ``obj`` as ``viewer`` may read them: for someone the object's money rule
    leaves out, entries of a money action are dropped and money fields taken out of the others'
    changes (an entry left with neither changes nor a summary is dropped). The rule is asked
    once, and only when some entry carries money."""
    money = _MONEY.get(obj._meta.label_lower)
    if money is None or not entries:
        return entries
    if not any(_carries(money, entry) for entry in entries) or money.sees(viewer, obj):
        return entries
    out = []
    for entry in entries:
        kept = _without_money(money, entry) if _carries(money, entry) else entry
        if kept is not None:
            out.append(kept)
    return out


def entries_read(obj: models.Model, limit: int = 50) -> Read:
    """:func:`history_for`'s read of the entries, to read ahead (``fastread.one_round_trip``)."""
    ct = ContentType.objects.get_for_model(obj._meta.model)
    return _ENTRIES_OF, [ct.pk, obj.pk, organisation_id_of(obj), limit]


# --- Showing changes to people ---------------------------------------------------------------

EMPTY = "—"
MAX_TEXT = 300


@dataclass(frozen=True)
class Change:
    """One changed field in words: "Status: In progress → Done"."""

    label: str
    before: str
    after: str


def readable_changes(entry: HistoryEntry) -> list[Change]:
    """``entry.changes`` for people: the field's label, and each value as text — a choice's
    label instead of its stored slug, a reference's name instead of its id ("Assignee: — → Ana
    Silva"), lists joined, mappings as "key: value", yes/no for booleans, "—" for nothing.
    Unknown fields (computed ones like "steps") keep a readable name.

    References are named from what :func:`name_references` read for a batch of entries; an
    entry read on its own has its references read here (one query per kind of object).
    """
    names = entry.__dict__.get(_NAMES)
    if names is None:
        name_references([entry])
        names = entry.__dict__[_NAMES]
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    rows = []
    for name, pair in (entry.changes or {}).items():
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        field = _field(model, name)
        if isinstance(field, models.ForeignKey):
            target = field.remote_field.model._meta.label_lower
            rows.append(
                Change(
                    _label(field, name),
                    _reference(before, target, names),
                    _reference(after, target, names),
                )
            )
            continue
        rows.append(Change(_label(field, name), _text(before, field), _text(after, field)))
    return rows


_NAMES = "_reference_names"


def name_references(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Read the names of the objects that ``entries``' changed foreign keys point at — one query
    per kind of object (people, tasks, queues, …), whatever the number of entries — and keep
    them on each entry for :func:`readable_changes`. Returns ``entries``."""
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        for name, pair in (entry.changes or {}).items():
            field = _field(model, name)
            if not isinstance(field, models.ForeignKey):
                continue
            values = pair if isinstance(pair, list) else [pair]
            ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
            if ids:
                wanted.setdefault(field.remote_field.model, set()).update(ids)
    names: dict[tuple[str, Any], str] = {}
    organisations = {entry.organisation_id for entry in entries}
    for related, ids in wanted.items():
        label = related._meta.label_lower
        found = related._default_manager.filter(pk__in=ids)
        if any(f.attname == "organisation_id" for f in related._meta.concrete_fields):
            # An id naming another organisation's row names nothing (an entry's changes are
            # its organisation's own, unless an archive brought in something else).
            found = found.filter(organisation_id__in=organisations)
        for obj in found:
            names[(label, obj.pk)] = str(getattr(obj, "display_name", "") or obj)
    for entry in entries:
        entry.__dict__[_NAMES] = names
    return entries


def _reference(value: Any, target: str, names: Mapping[tuple[str, Any], str]) -> str:
    """A stored reference for people: the object's name, or "#id (deleted)" once it is gone;
    older entries that stored the name itself keep it."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get((target, value), f"#{value} (deleted)")
    return _text(value)


@functools.lru_cache(maxsize=1024)
def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    """The model's field called ``name`` (kept per model and name: models do not change while
    the process runs), or None."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _label(field: models.Field[Any, Any] | None, name: str) -> str:
    words = str(field.verbose_name) if field is not None else name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _text(value: Any, field: models.Field[Any, Any] | None = None) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if field is not None and field.choices and not isinstance(value, list | dict):
        label = _choice_labels(field, translation.get_language()).get(str(value))
        if label is not None:
            return label
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        # A day stored as text ("2026-10-02") in the organisation's format, as pages write it.
        try:
            return dates.format_day(dt.date.fromisoformat(value))
        except ValueError:
            pass
    text = _plain_text(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.lru_cache(maxsize=1024)
def _choice_labels(field: models.Field[Any, Any], language: str | None) -> dict[str, str]:
    """A field's choices as {stored text: label}, per language (labels may be translated)."""
    del language  # part of the key: ``str(label)`` reads the active language itself
    return {str(k): str(v) for k, v in field.flatchoices}


def _plain_text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "; ".join(_item(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{_key(k)}: {_item(v)}" for k, v in value.items()) or EMPTY
    return str(value)


def _item(value: Any) -> str:
    """One element of a list or mapping; a checklist item ``{"text", "done"}`` reads "text ✓"."""
    if isinstance(value, dict) and "text" in value:
        mark = " ✓" if value.get("done") else ""
        return f"{value['text']}{mark}"
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) for v in value):
            return f"{value[0]}–{value[1]}"  # a period such as ["08:00", "17:00"]
        return ", ".join(_item(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{_key(k)} {_item(v)}" for k, v in value.items())
    return _plain_text(value)


def _key(key: Any) -> str:
    return str(key).replace("_", " ")
