from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "twofold.improvement"
    label = "improvement"
    verbose_name = "Continuous improvement"

    def ready(self) -> None:
        from twofold.improvement import trash

        trash.register()
        from twofold.core import trash as core_trash
        from twofold.improvement import go_live

        core_trash.on_trash_change(go_live.follow_trash)
        from twofold.projects import trash as project_trash

        if go_live.park_project_points not in project_trash.BEFORE_PROJECT_PURGE:
            project_trash.BEFORE_PROJECT_PURGE.append(go_live.park_project_points)
        from twofold.core import panels
        from twofold.improvement import both_sides

        panels.register_each("operations.process_card", both_sides.process_cards)
        panels.register("projects.overview", both_sides.project_overview)
        from twofold.core import readahead

        readahead.register("process_changes", both_sides.project_overview_reads)
