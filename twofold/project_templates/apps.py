from django.apps import AppConfig


class ProjectTemplatesConfig(AppConfig):
    name = "twofold.project_templates"
    label = "project_templates"
    verbose_name = "Project templates"
