from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "twofold.improvement"
    label = "improvement"
    verbose_name = "Continuous improvement"
