from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "twofold.risks"
    label = "risks"
    verbose_name = "Risks"

    def ready(self) -> None:
        from twofold.core.jobs import register
        from twofold.risks.jobs import SIMULATION

        register(SIMULATION)

        from twofold.risks import trash

        trash.register()
