from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "twofold.calendars"
    label = "calendars"
    verbose_name = "Working time"

    def ready(self) -> None:
        from twofold.calendars.jobs import RESCHEDULE
        from twofold.core.jobs import register

        register(RESCHEDULE)
