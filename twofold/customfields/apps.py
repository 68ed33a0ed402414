from django.apps import AppConfig


class CustomfieldsConfig(AppConfig):
    name = "twofold.customfields"
    label = "customfields"
