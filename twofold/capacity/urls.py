from django.urls import path

from twofold.capacity import queue_views, reservation_views, take_on_views, views

app_name = "capacity"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("cell/", views.cell, name="cell"),
    path("reservations/", reservation_views.reservations, name="reservations"),
    path(
        "reservations/<int:reservation_id>/delete/",
        reservation_views.reservation_delete,
        name="reservation_delete",
    ),
    path("take-on/", take_on_views.take_on, name="take_on"),
    path("queues/", queue_views.queues, name="queues"),
    path("projects/<int:project_id>/level/clear/", views.level_clear, name="level_clear"),
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
