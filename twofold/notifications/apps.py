from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "twofold.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from twofold.closeout import hypercare
        from twofold.notifications import hooks

        hypercare.register(hooks.tell_project_team_of_hypercare_request)
        # Account e-mails (reset, sign-up, invitations) go through the outbox too.
        from twofold.accounts import mail
        from twofold.notifications.outbox import enqueue_message

        mail.register(enqueue_message)
        # What people are made to follow (created, assigned) they can unfollow by hand.
        from twofold.notifications.scans import FOLLOW_ON_CREATE
        from twofold.notifications.selectors import register_followable

        for label in FOLLOW_ON_CREATE:
            register_followable(label)
