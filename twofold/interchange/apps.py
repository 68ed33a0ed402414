from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "twofold.interchange"
    label = "interchange"
    verbose_name = "Interchange"

    def ready(self) -> None:
        from twofold.core import jobs as core_jobs
        from twofold.interchange import jobs

        core_jobs.register(jobs.PREVIEW)
        core_jobs.register(jobs.IMPORT)
        core_jobs.register(jobs.SHEET_IMPORT)

        from twofold.core import history
        from twofold.interchange.webhooks import events, notices  # noqa: F401 (registers a kind)

        history.on_record(events.heard)
        # A new password revokes the person's calendar feeds (their address is a credential).
        from twofold.accounts.services import FEEDS_OF
        from twofold.interchange.services import revoke_all_of

        FEEDS_OF.append(revoke_all_of)
        core_jobs.register(jobs.ORGANISATION_EXPORT)
