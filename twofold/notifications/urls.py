from django.urls import path

from twofold.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.read_all, name="read_all"),
    path("<int:notification_id>/read/", views.read, name="read"),
    path("<int:notification_id>/open/", views.open_target, name="open"),
    path("settings/", views.email_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("follow/<str:target_type>/<int:target_id>/", views.follow_toggle, name="follow"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:email_id>/retry/", views.outbox_retry, name="outbox_retry"),
]
