from django.urls import path

from twofold.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("projects/", views.project_list, name="list"),
]
