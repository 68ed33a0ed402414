from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "twofold.risks"
    label = "risks"
    verbose_name = "Risks"
