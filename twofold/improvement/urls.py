from django.urls import path

from twofold.improvement import deliverables_views, process_change_views, views

app_name = "improvement"

urlpatterns = [
    path("", views.board, name="board"),
    path(
        "settings/deliverables/",
        deliverables_views.deliverable_settings,
        name="deliverable_settings",
    ),
    path("items/", views.item_list, name="list"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/trash/", views.item_trash, name="item_trash"),
    path("signals/", views.signals, name="signals"),
    path(
        "projects/<int:project_id>/processes/",
        process_change_views.process_link,
        name="process_link",
    ),
    path("process-changes/<int:pk>/", process_change_views.process_change, name="process_change"),
    path("handovers/", views.handovers, name="handovers"),
    path("handovers/new/", views.handover_new, name="handover_new"),
    path("handovers/<int:pk>/", views.handover_detail, name="handover"),
]
