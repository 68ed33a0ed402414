from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "twofold.projects"
    label = "projects"
    verbose_name = "Projects"
