from django.urls import path

from twofold.core import reports, views

app_name = "core"

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("reports/", reports.reports, name="reports"),
    path("reports/export/projects.csv", reports.export_projects, name="export_projects"),
    path("reports/export/tasks.csv", reports.export_tasks, name="export_tasks"),
    path(
        "reports/export/kpi-measurements.csv",
        reports.export_measurements,
        name="export_measurements",
    ),
]
