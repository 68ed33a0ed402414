from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "twofold.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        setting_changed.connect(_forget_urls, dispatch_uid="twofold.core.urlcache")


def _forget_urls(**kwargs: Any) -> None:
    """A test that overrides a setting may have swapped the URLconf: cached URLs go."""
    from twofold.core import urlcache

    urlcache.clear()
