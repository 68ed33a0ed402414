"""``fast_reverse`` and the ``{% url %}`` built-in that uses it: the URLs Django's ``reverse``
gives, cached only where the result cannot change."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from twofold.core import urlcache
from twofold.core.urlcache import fast_reverse


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    urlcache.clear()
    yield
    urlcache.clear()
    clear_script_prefix()


def test_same_urls_as_reverse_and_cached() -> None:
    assert fast_reverse("accounts:person", args=[7]) == "/accounts/people/7/"
    assert fast_reverse("accounts:person", kwargs={"user_id": 8}) == reverse(
        "accounts:person", kwargs={"user_id": 8}
    )
    assert fast_reverse("accounts:profile") == "/accounts/profile/"
    fast_reverse("accounts:person", args=[7])
    info = urlcache._cached.cache_info()
    assert (info.hits, info.currsize) == (1, 3)


def test_script_prefix_is_part_of_the_key() -> None:
    assert fast_reverse("accounts:profile") == "/accounts/profile/"
    set_script_prefix("/twofold/")
    assert fast_reverse("accounts:profile") == "/twofold/accounts/profile/"


class _Pk:
    """An argument reversed through ``str()``, which may change: never cached."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __str__(self) -> str:
        return str(self.value)


def test_object_arguments_are_not_cached() -> None:
    arg = _Pk(3)
    assert fast_reverse("accounts:person", args=[arg]) == "/accounts/people/3/"
    arg.value = 4
    assert fast_reverse("accounts:person", args=[arg]) == "/accounts/people/4/"
    assert urlcache._cached.cache_info().currsize == 0


def test_a_name_that_does_not_reverse_raises_every_time() -> None:
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            fast_reverse("accounts:nothing-here")


def test_overriding_a_setting_forgets_the_cache() -> None:
    fast_reverse("accounts:profile")
    with override_settings(USE_TZ=True):
        assert urlcache._cached.cache_info().currsize == 0


def test_url_tag_is_the_cached_one_with_djangos_behaviour() -> None:
    template = Template(
        '{% url "accounts:person" pk %}|{% url "accounts:person" user_id=pk %}|'
        '{% url "accounts:nothing-here" as missing %}[{{ missing }}]'
    )
    assert template.render(Context({"pk": 5})) == "/accounts/people/5/|/accounts/people/5/|[]"
    assert urlcache._cached.cache_info().currsize == 2
    with pytest.raises(NoReverseMatch):
        Template('{% url "accounts:nothing-here" %}').render(Context({}))
