"""A select of the organisation's people: choices from (id, name, e-mail) rows read once per
request's organisation and kept per process under the directory stamp (``accounts.directory``),
options written from their pairs (``core.form_renderer.FastSelect``). Used by every form that
picks a person (a task's assignee, a project's manager, a request's assignee)."""

from __future__ import annotations

from typing import Any

from django import forms

from twofold.accounts import directory
from twofold.accounts.models import Organisation, Role, User
from twofold.core.fastread import FastRows
from twofold.core.form_copies import copy_as_field
from twofold.core.form_renderer import FastSelect

_NOT_GUESTS = [Role.MEMBER, Role.ADMIN, Role.OWNER]


def people_query(organisation: Organisation | int, *, no_guests: bool = False) -> Any:
    """Members of the organisation; ``no_guests`` for sponsor and manager (guests cannot be)."""
    filters: dict[str, Any] = {"memberships__organisation": organisation}
    if no_guests:
        filters["memberships__role__in"] = _NOT_GUESTS
    # The choices show names only: no password hashes, dates or settings for 200 people.
    return (
        User.objects.filter(**filters)
        .order_by("full_name", "email")
        .only("id", "full_name", "email")
    )


class _PeopleIterator(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """The field's choices as (id, name) pairs from tuples read once per organisation object
    (a request's): the task page's two people selects share one query and build no ``User``
    instances. Validation still goes through the queryset (``ModelChoiceField.to_python``)."""

    field: PeopleField

    def __init__(self, field: PeopleField) -> None:  # no queryset: see PeopleField.people_of
        self.field = field

    @property
    def queryset(self) -> Any:  # type: ignore[override]
        return self.field.queryset

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, email in self.field.people_rows():
            yield (pk, name or email)  # User.display_name

    def __len__(self) -> int:
        return len(self.field.people_rows()) + (self.field.empty_label is not None)

    def plain_pairs(self) -> tuple[tuple[Any, str], ...] | None:
        """The choices as :class:`FastSelect` takes them without looking (int ids, ``str``
        names, no groups), built once per request's organisation and empty label; None when
        the empty label is not a plain ``str`` (lazy text follows the language)."""
        empty = self.field.empty_label
        if empty is not None and type(empty) is not str:
            return None
        source = self.field._source
        cache: dict[Any, tuple[tuple[Any, str], ...]] = self.field.pairs_cache()
        key = (source[1] if source else None, empty)  # the rows are per (organisation, no_guests)
        pairs = cache.get(key)
        if pairs is None:
            head: tuple[tuple[Any, str], ...] = () if empty is None else (("", empty),)
            rows = self.field.people_rows()
            pairs = cache[key] = head + tuple((pk, name or email) for pk, name, email in rows)
        return pairs

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.people_rows())


class PeopleField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A member of the organisation (see :func:`people_of`)."""

    iterator = _PeopleIterator
    widget = FastSelect  # 200 people: options written from the pairs (core/form_renderer.py)

    def __init__(self, **kwargs: Any) -> None:
        self._source: tuple[Organisation, bool] | None = None
        self._lazy = False
        super().__init__(queryset=User.objects.none(), **kwargs)

    def people_of(self, organisation: Organisation, *, no_guests: bool = False) -> None:
        """Offer the organisation's members (``no_guests``: not its guests). The choices come
        from :meth:`people_rows`; the queryset that validates a posted id is built only when
        something asks for it (a page that only shows the select never does)."""
        self._source = (organisation, no_guests)
        self._lazy = True
        self.widget.choices = self.choices  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> PeopleField:
        """``ModelChoiceField``'s copy (a field copy, its own queryset, choices bound to the
        copy) with one queryset clone instead of two, and none while the people are lazy or
        the queryset is the empty one the class starts with."""
        result: PeopleField = copy_as_field(self, memo)
        queryset = self.__dict__.get("_queryset")
        if not self._lazy and queryset is not None and not queryset.query.is_empty():
            result._queryset = queryset.all()  # an empty one (the class's) is shared
        result.widget.choices = result.choices  # type: ignore[assignment]
        return result

    def _get_people_queryset(self) -> Any:
        if self.__dict__.get("_lazy"):
            self._lazy = False
            assert self._source is not None
            organisation, no_guests = self._source
            self._queryset = people_query(organisation, no_guests=no_guests)
        return self._queryset

    def _set_people_queryset(self, queryset: Any) -> None:
        self._lazy = False
        forms.ModelChoiceField._set_queryset(self, queryset)  # type: ignore[attr-defined]

    queryset = property(_get_people_queryset, _set_people_queryset)

    def pairs_cache(self) -> dict[Any, Any]:
        """Where :meth:`_PeopleIterator.plain_pairs` keeps its pairs: beside the rows."""
        if self._source is None:
            return {}
        cache: dict[Any, Any] = self._source[0].__dict__.setdefault("_twofold_people_pairs", {})
        return cache

    def people_rows(self) -> list[tuple[int, str, str]]:
        if self._source is None:
            return []
        organisation, no_guests = self._source
        cache: dict[bool, list[tuple[int, str, str]]] = organisation.__dict__.setdefault(
            "_twofold_people_choices", {}
        )
        if no_guests not in cache:
            # Kept per process while the organisation's people stay the same (a stamp read
            # with the request's memberships); the list is shared: never changed in place.
            cache[no_guests] = directory.rows(
                organisation,
                ("people", no_guests),
                lambda: (
                    _STAFF_ROWS.rows(organisation.pk, *_NOT_GUESTS)
                    if no_guests
                    else _PEOPLE_ROWS.rows(organisation.pk)
                ),
            )
        return cache[no_guests]


# The choices' rows, compiled once (core/fastread.py); id, name and e-mail need no converter.
_PEOPLE_ROWS = FastRows(
    User,
    lambda org_id: people_query(org_id).values_list("id", "full_name", "email"),
)
_STAFF_ROWS = FastRows(
    User,
    lambda org_id, *roles: people_query(org_id, no_guests=True).values_list(
        "id", "full_name", "email"
    ),
)
