from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "twofold.activity"
    label = "activity"

    def ready(self) -> None:
        # Every recorded change raises the change counter of the live pages showing it.
        from twofold.activity import live
        from twofold.core import history, readahead

        history.on_record(live.on_record)
        # A new password revokes the person's activity feeds (their address is a credential).
        from twofold.accounts.services import FEEDS_OF
        from twofold.activity.services import revoke_all_of

        FEEDS_OF.append(revoke_all_of)
        # ``{% live_subject prefix obj %}`` reads the subject's counter: a page can read it ahead.
        readahead.register("live", live.subject_version_reads)
