from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "twofold.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from twofold.core.history import on_change_with_fields
        from twofold.core.trash import on_trash_change
        from twofold.search.index import on_recorded_change
        from twofold.search.index import on_trash_change as follow_trash

        on_change_with_fields(on_recorded_change)
        on_trash_change(follow_trash)
