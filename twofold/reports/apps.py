from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "twofold.reports"
    label = "reports"
    verbose_name = "Reports"
