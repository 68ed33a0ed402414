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
        core_jobs.register(jobs.ORGANISATION_EXPORT)
