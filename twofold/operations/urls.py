from django.urls import path

from twofold.operations import views, views_records, views_work

app_name = "operations"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("flow/", views.flow, name="flow"),
    path("generate/", views.generate, name="generate"),
    path("processes/new/", views.process_new, name="process_new"),
    path("processes/<int:pk>/", views.process_detail, name="process"),
    path("processes/<int:pk>/edit/", views.process_edit, name="process_edit"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("<str:kind>/<int:pk>/archive/", views.archive, name="archive"),
    path("<str:kind>/<int:pk>/delete/", views.delete, name="delete"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/new/", views.calendar_form, name="calendar_new"),
    path("calendars/<int:pk>/edit/", views.calendar_form, name="calendar_edit"),
    path("queues/new/", views.queue_form, name="queue_new"),
    path("queues/<int:pk>/edit/", views.queue_form, name="queue_edit"),
    path("routines/new/", views.routine_form, name="routine_new"),
    path("routines/<int:pk>/edit/", views.routine_form, name="routine_edit"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi"),
    path("kpis/<int:pk>/change-points/", views_work.kpi_change_point, name="kpi_change_point"),
    path(
        "requests/<int:pk>/assignment/",
        views_work.request_assignment,
        name="request_assignment",
    ),
    path("queues/<int:pk>/", views.queue_detail, name="queue"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/trash/", views.request_trash, name="request_trash"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("occurrences/<int:pk>/", views.occurrence_detail, name="occurrence"),
    path("measurements/<int:pk>/", views_records.measurement_detail, name="measurement"),
    path("evidence/<int:pk>/file/", views_records.evidence_file, name="evidence_file"),
    path("occurrences/<int:pk>/record/", views_records.occurrence_record, name="occurrence_record"),
]
