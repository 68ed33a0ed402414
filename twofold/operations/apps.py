from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "twofold.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from twofold.operations import assignment, replan, trash

        trash.register()
        replan.register()
        # A member made a guest, or removed, is unassigned from what they can no longer work.
        assignment.register()
        # The annual budget and spend are money (core.history.readable_by).
        from twofold.core import history
        from twofold.operations.selectors import sees_process_money

        history.register_money(
            "operations.process",
            sees=sees_process_money,
            actions=["spend added"],
            fields=["annual_budget"],
        )
