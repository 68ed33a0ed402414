from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "twofold.changes"
    label = "changes"
    verbose_name = "Change control"

    def ready(self) -> None:
        # An approved change's budget line ("CR-1: budget +1,800.00") is money.
        from twofold.core import history
        from twofold.costs.selectors import sees_project_money

        history.register_money(
            "projects.project", sees=sees_project_money, actions=["budget changed"]
        )
        # A member removed from the organisation leaves its change board.
        from twofold.accounts.services import MEMBER_REMOVED
        from twofold.changes.services import leave_board

        if leave_board not in MEMBER_REMOVED:
            MEMBER_REMOVED.append(leave_board)
