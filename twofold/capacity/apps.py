from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "twofold.capacity"
    label = "capacity"
    verbose_name = "Capacity"
