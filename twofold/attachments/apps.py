from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "twofold.attachments"
    label = "attachments"

    def ready(self) -> None:
        # Attachments point at projects and tasks without a foreign key: deleting a project
        # names and deletes them through this hook (see projects.lifecycle).
        from twofold.attachments.project_parts import register

        register()
