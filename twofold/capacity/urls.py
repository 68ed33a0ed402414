from django.urls import path

from twofold.capacity import views

app_name = "capacity"

urlpatterns = [
    path("", views.usage, name="usage"),
]
