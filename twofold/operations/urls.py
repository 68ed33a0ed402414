from django.urls import path

from twofold.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("flow/", views.flow, name="flow"),
    path("generate/", views.generate, name="generate"),
    path("processes/<int:pk>/", views.process_detail, name="process"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi"),
    path("queues/<int:pk>/", views.queue_detail, name="queue"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("occurrences/<int:pk>/", views.occurrence_detail, name="occurrence"),
]
