from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "twofold.costs"
    label = "costs"
    verbose_name = "Costs"
