from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "twofold.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from twofold.core.jobs import register
        from twofold.operations import deviations
        from twofold.quality.jobs import AUDIT_EXPORT
        from twofold.quality.services import OperationsPort

        deviations.connect(OperationsPort())
        register(AUDIT_EXPORT)
