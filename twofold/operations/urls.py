from django.urls import path

from twofold.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.overview, name="overview"),
]
