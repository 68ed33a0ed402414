from django.urls import path

from twofold.customfields import views

app_name = "customfields"

urlpatterns = [
    path("", views.definitions, name="definitions"),
    path("<int:definition_id>/", views.definition_edit, name="definition"),
    path("<int:definition_id>/delete/", views.definition_delete, name="definition_delete"),
    path("values/<str:kind>/<int:target_id>/", views.values, name="values"),
]
