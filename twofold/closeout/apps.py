from django.apps import AppConfig


class CloseoutConfig(AppConfig):
    name = "twofold.closeout"
    label = "closeout"
    verbose_name = "Project close-out"

    def ready(self) -> None:
        # Explicit seams, registered once: accepting a handover builds its parts in operations;
        # the gate into closure waits for it; the portfolio card names the receiving process.
        from twofold.closeout import hooks

        hooks.register()
