from django.urls import path

from twofold.costs import views

app_name = "costs"

urlpatterns = [
    path("timesheet/", views.timesheet, name="timesheet"),
    path("timer/start/", views.timer_start, name="timer_start"),
    path("timer/stop/", views.timer_stop, name="timer_stop"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:timesheet_id>/", views.approval, name="approval"),
    path("expenses/", views.expenses, name="expenses"),
    path("expenses/<int:expense_id>/", views.expense, name="expense"),
    path(
        "expenses/<int:expense_id>/attachment/", views.expense_attachment, name="expense_attachment"
    ),
    path("rates/", views.rates, name="rates"),
    path("rates/<int:rate_id>/delete/", views.rate_delete, name="rate_delete"),
    path("processes/<int:process_id>/budget/", views.process_budget, name="process_budget"),
    path("projects/<int:project_id>/", views.project_costs, name="project"),
    path("export/timesheets.<str:fmt>", views.export_timesheets, name="export_timesheets"),
    path("export/expenses.<str:fmt>", views.export_expenses, name="export_expenses"),
]
