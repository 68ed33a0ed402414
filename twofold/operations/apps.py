from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "twofold.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from twofold.operations import replan, trash

        trash.register()
        replan.register()
