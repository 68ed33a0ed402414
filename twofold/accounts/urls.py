from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from twofold.accounts import views, views_orgs
from twofold.accounts.emails import AccountEmailForm

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path(
        "password/reset/",
        views.PasswordReset.as_view(
            form_class=AccountEmailForm,
            template_name="accounts/pages/password_reset.html",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/pages/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(
            template_name="accounts/pages/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/pages/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("setup/", views_orgs.set_up, name="setup"),
    path("sign-up/", views_orgs.sign_up, name="signup"),
    path(
        "sign-up/confirm/<uidb64>/<token>/",
        views_orgs.sign_up_verify,
        name="signup_verify",
    ),
    path("preferences/", views_orgs.preferences, name="preferences"),
    path("instance/", views_orgs.instance_settings, name="instance"),
    path("organisation/new/", views_orgs.organisation_new, name="organisation_new"),
    path("organisation/delete/", views_orgs.organisation_delete, name="organisation_delete"),
    path("organisation/switch/", views.switch_organisation, name="switch"),
    path("people/", views.people, name="people"),
    path(
        "people/invitations/<int:invitation_id>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        "profile/invitations/<int:invitation_id>/accept/",
        views.invitation_answer,
        {"answer": "accept"},
        name="invitation_accept",
    ),
    path(
        "profile/invitations/<int:invitation_id>/decline/",
        views.invitation_answer,
        {"answer": "decline"},
        name="invitation_decline",
    ),
    path("people/<int:user_id>/", views.person, name="person"),
    path("profile/job-title/", views.profile_job_title, name="profile_job_title"),
    path("people/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("people/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
    path("settings/", views.organisation_settings, name="settings"),
    path("settings/tokens/", views.api_tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="token_revoke"),
]
