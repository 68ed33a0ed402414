from django.urls import path

from twofold.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.projects, name="projects"),
    path("operations/", views.operations, name="operations"),
    path("reports/", views.reports, name="reports"),
]
