from django.urls import path

from twofold.calendars import views

app_name = "calendars"

urlpatterns = [
    path("", views.calendar_list, name="list"),
    path("<int:pk>/", views.calendar_detail, name="detail"),
    path("<int:pk>/holidays/", views.holiday_add, name="holiday_add"),
    path("<int:pk>/holidays/<int:holiday_id>/delete/", views.holiday_delete, name="holiday_delete"),
    path("<int:pk>/delete/", views.calendar_delete, name="delete"),
]
