from django.urls import path

from twofold.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/export/projects.csv", views.export_projects, name="export_projects"),
    path("reports/export/tasks.csv", views.export_tasks, name="export_tasks"),
    path(
        "reports/export/kpi-measurements.csv",
        views.export_measurements,
        name="export_measurements",
    ),
]
