from django.urls import path

from twofold.changes import views

app_name = "changes"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("<int:change_id>/", views.change_detail, name="detail"),
    path("projects/<int:project_id>/", views.project_changes, name="project"),
    path("projects/<int:project_id>/new/", views.change_create, name="create"),
]
