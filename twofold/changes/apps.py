from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "twofold.changes"
    label = "changes"
    verbose_name = "Change control"
