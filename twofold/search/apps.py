from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "twofold.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from twofold.core.history import on_change
        from twofold.search.index import on_recorded_change

        on_change(on_recorded_change)
