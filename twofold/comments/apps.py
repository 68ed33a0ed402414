from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "twofold.comments"
    label = "comments"

    def ready(self) -> None:
        # Which objects take comments (one line each, kinds.py), and a deleted project takes
        # the comments on it and on its tasks and risks with it (projects.lifecycle hook), and so
        # does purging anything from the trash (trash_parts).
        from twofold.comments import kinds, project_parts, selectors, trash_parts
        from twofold.core import readahead

        kinds.register_defaults()
        # A page showing ``{% comments_panel obj %}`` can send its read ahead.
        readahead.register("comments", lambda subject: [selectors.comment_list_read(subject)])
        project_parts.register()
        trash_parts.register()
