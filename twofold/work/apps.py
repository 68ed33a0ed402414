from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "twofold.work"
    label = "work"
    verbose_name = "My work"
