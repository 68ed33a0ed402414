"""``reverse`` with its results remembered, for the URLs a page writes dozens of times.

Django's ``reverse`` walks the resolver's reverse dictionary and re-checks each converter on
every call: ~40 µs, and a task page asks for ~50 URLs (navigation, tabs, panels' forms), about
2 ms of a page whose budget is 12 ms (docs/benchmarks-web.md). The URL a name and its arguments
reverse to depends only on the URLconf and the script prefix, so both are part of the key;
only arguments that are an ``int`` or a string are cached (an object argument is reversed
through its ``str()``, which can change), and a name that does not reverse is never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def _plain(value: Any) -> bool:
    """An ``int`` or a string (template literals arrive as ``SafeString``), whose ``str()`` is fixed."""
    return type(value) is int or isinstance(value, str)


@lru_cache(maxsize=16384)
def _cached(
    urlconf: str,
    prefix: str,
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
) -> str:
    del prefix  # part of the key only: reverse() reads it itself
    return reverse(
        view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def fast_reverse(
    view_name: Any,
    args: list[Any] | tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """``django.urls.reverse(view_name, args=..., kwargs=...)``, cached when it safely can be."""
    args = tuple(args or ())
    items = tuple(sorted((kwargs or {}).items()))
    if (
        isinstance(view_name, str)
        and all(_plain(a) for a in args)
        and all(_plain(v) for _k, v in items)
        and (current_app is None or isinstance(current_app, str))
    ):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        if type(urlconf) is str:
            return _cached(urlconf, get_script_prefix(), view_name, args, items, current_app)
    return reverse(view_name, args=args, kwargs=dict(items), current_app=current_app)


def reverser() -> Callable[..., str]:
    """For many URLs in one request (a list's rows): ``url(view_name, *args)`` is
    :func:`fast_reverse`'s answer, with the URLconf and the script prefix read once instead of
    per URL."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    prefix = get_script_prefix()

    def url(view_name: str, *args: Any) -> str:
        if type(urlconf) is str and all(_plain(a) for a in args):
            return _cached(urlconf, prefix, view_name, args, (), None)
        return fast_reverse(view_name, args)

    return url


def clear() -> None:
    """Forget every cached URL (tests that swap the URLconf call Django's ``clear_url_caches``,
    which this is connected to in ``core.apps``)."""
    _cached.cache_clear()
