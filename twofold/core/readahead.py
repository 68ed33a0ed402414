"""What a page's panels will read, for the page to send ahead with its own reads.

A page of one app shows panels of apps it does not import: the comments, a handover's origin
note, a queue's hypercare, the live counter, amounts in the organisation's currency. On
PostgreSQL a page sends its own reads in one round trip (``core.fastread.one_round_trip``);
these panels then read one by one, a round trip each, while the template renders. Each app
that draws a panel registers here, under the panel's name, the reads the panel will make for a
subject; the page names the panels its template shows and adds their reads to its block::

    reads = [selectors.process_read(user, pk), *readahead.reads(process, "origins", "comments")]
    with one_round_trip(reads):
        ...

A read sent ahead is used only by the first call with exactly those parameters, so a provider
that names another read than its panel makes costs a wasted statement, never a wrong answer;
a panel nobody registered reads where it is called, as before. On SQLite nothing is read ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from twofold.core.fastread import Read

Provider = Callable[[Any], Sequence[Read]]

_PROVIDERS: dict[str, Provider] = {}


def register(panel: str, provider: Provider) -> None:
    """``provider(subject)`` returns the reads ``panel`` makes when shown for ``subject`` (a
    model instance; an unsaved one with its ``pk`` and ``organisation_id`` will do)."""
    _PROVIDERS[panel] = provider


def reads(subject: Any, *panels: str) -> list[Read]:
    """The reads of ``panels`` for ``subject``, in order (none for a panel not registered)."""
    found: list[Read] = []
    for panel in panels:
        provider = _PROVIDERS.get(panel)
        if provider is not None:
            found.extend(provider(subject))
    return found
