from django.urls import path

from twofold.capacity import views

app_name = "capacity"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("cell/", views.cell, name="cell"),
    path("projects/<int:project_id>/level/", views.level, name="level"),
    path("projects/<int:project_id>/level/run/", views.level_start, name="level_start"),
    path("availability/", views.my_availability, name="my_availability"),
    path("people/<int:user_id>/availability/", views.availability_page, name="availability"),
    path("people/<int:user_id>/availability/pattern/", views.pattern_save, name="pattern_save"),
    path(
        "people/<int:user_id>/availability/patterns/<int:pattern_id>/delete/",
        views.pattern_delete,
        name="pattern_delete",
    ),
    path("people/<int:user_id>/availability/absences/", views.absence_add, name="absence_add"),
    path(
        "people/<int:user_id>/availability/absences/<int:absence_id>/",
        views.absence_edit,
        name="absence_edit",
    ),
    path(
        "people/<int:user_id>/availability/absences/<int:absence_id>/delete/",
        views.absence_delete,
        name="absence_delete",
    ),
]
