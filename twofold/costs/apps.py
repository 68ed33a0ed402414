from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "twofold.costs"
    label = "costs"
    verbose_name = "Costs"

    def ready(self) -> None:
        # ``{% money %}`` reads the organisation's currency settings: a page can read them ahead.
        from twofold.core import readahead
        from twofold.costs.selectors import cost_settings_read

        readahead.register(
            "money",
            lambda subject: (
                [cost_settings_read(subject.organisation_id)] if subject.organisation_id else []
            ),
        )

        # The process page's budget beside all the process cost (the hooks below), for one
        # process and fiscal year: ``(process, first, last)``.
        from twofold.costs.selectors import process_cost_reads

        readahead.register("process_costs", process_cost_reads)

        # A person who leaves the organisation stops their running timer there (it went on).
        from twofold.core import history
        from twofold.costs.services import on_member_removed

        history.on_record_changes(on_member_removed)
        from twofold.costs import regroup

        regroup.register()
        # Amounts in the history (core.history.readable_by): the charter's budget ceiling and the
        # fiscal-year budgets of processes are for those the money rule names.
        from twofold.core import history
        from twofold.costs.selectors import sees_project_money
        from twofold.operations.selectors import sees_process_money

        history.register_money(
            "projects.project", sees=sees_project_money, fields=["budget_ceiling"]
        )
        history.register_money(
            "operations.process", sees=sees_process_money, actions=["budget set"]
        )
        # Every entry of a rate names its amount (no reader shows them to members today; this
        # keeps a future one from doing so).
        from twofold.costs.selectors import sees_rate

        history.register_money("costs.rate", sees=sees_rate, actions=["created", "deleted"])
        from twofold.costs.selectors import sees_expense

        history.register_money("costs.expense", sees=sees_expense, actions=["created"])
        # One process budget: the annual budget is the current fiscal year's (costs.budget_sync).
        from twofold.costs import budget_sync

        history.on_record_changes(budget_sync.on_record_changes)
        # The process page and cards compare the budget with all the process cost.
        from twofold.costs.selectors import process_budgets, process_costs
        from twofold.operations.selectors import PROCESS_BUDGET_HOOKS, PROCESS_COST_HOOKS

        if process_costs not in PROCESS_COST_HOOKS:
            PROCESS_COST_HOOKS.append(process_costs)
        if process_budgets not in PROCESS_BUDGET_HOOKS:
            PROCESS_BUDGET_HOOKS.append(process_budgets)
        # A process's annual budget and spend keep to the currency's decimals (a yen has none).
        from twofold.costs.services import check_amount_decimals
        from twofold.operations.services import AMOUNT_CHECKS

        if check_amount_decimals not in AMOUNT_CHECKS:
            AMOUNT_CHECKS.append(check_amount_decimals)
