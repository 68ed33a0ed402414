from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "twofold.capacity"
    label = "capacity"
    verbose_name = "Capacity"

    def ready(self) -> None:
        from twofold.capacity.jobs import LEVELLING
        from twofold.core.jobs import register

        register(LEVELLING)

        from twofold.capacity import stamp

        stamp.STAMP.follow_migrations(self)
