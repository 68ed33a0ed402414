from django.urls import path

from twofold.activity import views

app_name = "activity"

urlpatterns = [
    path("activity/", views.organisation_activity, name="organisation"),
    path("activity/projects/<int:project_id>/", views.project_activity, name="project"),
    path("activity/processes/<int:process_id>/", views.process_activity, name="process"),
    path("activity/feeds/", views.feeds, name="feeds"),
    path("activity/feeds/<int:activity_feed_id>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("activity/<str:activity_secret>.atom", views.atom, name="atom"),
    path("live/<str:key>/", views.live_check, name="live"),
]
