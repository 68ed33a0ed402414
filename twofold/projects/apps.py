from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "twofold.projects"
    label = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from twofold.calendars.usage import register
        from twofold.projects.calendar_use import PROJECTS

        register(PROJECTS)

        from twofold.projects import trash

        trash.register()
