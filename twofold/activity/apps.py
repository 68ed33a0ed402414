from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "twofold.activity"
    label = "activity"

    def ready(self) -> None:
        # Every recorded change raises the change counter of the live pages showing it.
        from twofold.activity import live
        from twofold.core import history, readahead

        history.on_record(live.on_record)
        # ``{% live_subject prefix obj %}`` reads the subject's counter: a page can read it ahead.
        readahead.register("live", live.subject_version_reads)
