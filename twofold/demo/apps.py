from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation's loader, installed as an app for its ``demo`` command only."""

    name = "twofold.demo"
    label = "demo"
    verbose_name = "Demo data"
