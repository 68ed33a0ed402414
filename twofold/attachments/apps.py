from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "twofold.attachments"
    label = "attachments"
