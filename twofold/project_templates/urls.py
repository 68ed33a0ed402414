from django.urls import path

from twofold.project_templates import views

app_name = "templates"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new-project/", views.new_project, name="new_project"),
    path("from-project/<int:project_id>/", views.save_template, name="save"),
    path("<int:template_id>/", views.template_detail, name="detail"),
    path("<int:template_id>/delete/", views.template_delete, name="delete"),
]
