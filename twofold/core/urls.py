from django.urls import path

from twofold.core import views

app_name = "core"

urlpatterns = [
    path("reports/", views.reports, name="reports"),
]
