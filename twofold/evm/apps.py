from django.apps import AppConfig


class EvmConfig(AppConfig):
    name = "twofold.evm"
    label = "evm"
    verbose_name = "Budgets and earned value"

    def ready(self) -> None:
        from twofold.core import readahead
        from twofold.evm.portfolio import add_cost_health, cost_health_reads
        from twofold.projects.selectors import CARD_HEALTH_HOOKS

        if add_cost_health not in CARD_HEALTH_HOOKS:
            CARD_HEALTH_HOOKS.append(add_cost_health)
        # A project's own card (its overview) reads its cost figures in one statement.
        readahead.register("cost_health", cost_health_reads)

        from twofold.core import history
        from twofold.evm.stamps import stamp

        history.on_record_changes(stamp)
        # Budget lines and the planned labour rate are money (core.history.readable_by).
        from twofold.costs.selectors import sees_project_money

        history.register_money(
            "projects.project",
            sees=sees_project_money,
            actions=["budget line added", "budget line removed", "labour rate set"],
        )
