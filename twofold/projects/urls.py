from django.urls import path

from twofold.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/<int:project_id>/", views.project_detail, name="detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="edit"),
    path("projects/<int:project_id>/tasks/", views.tasks, name="tasks"),
    path(
        "projects/<int:project_id>/tasks/<int:task_id>/inline/",
        views.task_inline,
        name="task_inline",
    ),
    path(
        "projects/<int:project_id>/tasks/<int:task_id>/delete/",
        views.task_delete,
        name="task_delete",
    ),
    path(
        "projects/<int:project_id>/tasks/<int:task_id>/<str:action>/",
        views.task_action,
        name="task_action",
    ),
    path("projects/<int:project_id>/tasks/<int:task_id>/", views.task_detail, name="task"),
    path("projects/<int:project_id>/links/", views.link_add, name="link_add"),
    path(
        "projects/<int:project_id>/links/<int:link_id>/delete/",
        views.link_delete,
        name="link_delete",
    ),
    path("projects/<int:project_id>/gantt/", views.gantt_view, name="gantt"),
    path(
        "projects/<int:project_id>/gantt/<int:task_id>/drag/", views.gantt_drag, name="gantt_drag"
    ),
    path(
        "projects/<int:project_id>/gantt/<int:task_id>/resize/",
        views.gantt_resize,
        name="gantt_resize",
    ),
    path("projects/<int:project_id>/gantt/links/", views.gantt_link, name="gantt_link"),
    path("projects/<int:project_id>/baselines/", views.baselines, name="baselines"),
    path("projects/<int:project_id>/board/", views.board, name="board"),
    path("projects/<int:project_id>/board/move/", views.board_move, name="board_move"),
    path("projects/<int:project_id>/board/limits/", views.board_limits, name="board_limits"),
    path("projects/<int:project_id>/gates/", views.gates, name="gates"),
    path(
        "projects/<int:project_id>/gates/items/<int:item_id>/toggle/",
        views.gate_item,
        name="gate_item",
    ),
    path("projects/<int:project_id>/gates/<int:gate_id>/pass/", views.gate_pass, name="gate_pass"),
    path("my-work/", views.my_work, name="my_work"),
]
