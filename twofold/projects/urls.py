from django.urls import path
from django.views.generic import RedirectView

from twofold.projects import programme_views, views

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
    # My work moved to the ``work`` join app (it lists operations too); the old name still
    # reverses to the same address, which ``twofold.work.urls`` answers first.
    path("my-work/", RedirectView.as_view(pattern_name="work:my_work"), name="my_work"),
    # Programmes, project archive/delete, gate checklist settings (programme_views)
    path("programmes/", programme_views.programme_list, name="programmes"),
    path("programmes/new/", programme_views.programme_create, name="programme_create"),
    path("programmes/<int:programme_id>/", programme_views.programme_detail, name="programme"),
    path(
        "programmes/<int:programme_id>/edit/",
        programme_views.programme_edit,
        name="programme_edit",
    ),
    path(
        "programmes/<int:programme_id>/<str:action>/",
        programme_views.programme_action,
        name="programme_action",
    ),
    path("projects/<int:project_id>/archive/", programme_views.project_archive, name="archive"),
    path("projects/<int:project_id>/delete/", programme_views.project_delete, name="delete"),
    path("settings/gate-checklists/", programme_views.gate_settings, name="gate_settings"),
]
