from django.urls import path

from twofold.capacity import views

app_name = "capacity"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("cell/", views.cell, name="cell"),
    path("projects/<int:project_id>/level/", views.level, name="level"),
    path("projects/<int:project_id>/level/run/", views.level_start, name="level_start"),
]
