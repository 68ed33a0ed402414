from django.urls import path

from twofold.comments import views

app_name = "comments"

urlpatterns = [
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<str:kind>/<int:target_id>/", views.add, name="add"),
]
