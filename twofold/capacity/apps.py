from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "twofold.capacity"
    label = "capacity"
    verbose_name = "Capacity"

    def ready(self) -> None:
        from twofold.capacity.jobs import LEVELLING
        from twofold.core.jobs import register

        register(LEVELLING)

        from django.db.models.signals import post_migrate, pre_migrate

        pre_migrate.connect(_drop_stamp_triggers, sender=self)
        post_migrate.connect(_install_stamp_triggers, sender=self)


def _drop_stamp_triggers(using: str = "default", **kwargs: object) -> None:
    """Before every migrate: no trigger may outlive the stamp table a backward migrate drops;
    ``post_migrate`` puts them back."""
    from twofold.capacity import stamp

    stamp.drop_all_triggers(using)


def _install_stamp_triggers(using: str = "default", **kwargs: object) -> None:
    """After every migrate: the capacity data stamp's triggers (SQLite drops a table's
    triggers when a schema change rebuilds it, so they are re-created each time)."""
    from twofold.capacity import stamp

    stamp.install_triggers(using)
