"""Dashboard pages of accounts and teams.

`urlpatterns` are mounted at the site root; `organization_urlpatterns` under
`o/<slug:org_slug>/` (see `tokentracker/urls.py`), where every view is an
`organization_page` (tokentracker.pages).
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .forms import LoginForm
from .views import (
    accounts,
    api_keys,
    audit_log,
    home,
    invitations,
    members,
    organization_settings,
)

TEMPLATES = "tokentracker/accounts"

urlpatterns = [
    path("", home.home, name="home"),
    path("organizations/new", home.organization_create_page, name="organization-create"),
    path("accounts/signup", accounts.sign_up, name="signup"),
    path(
        "invitations/<str:token>",
        invitations.invitation_accept_page,
        name="invitation-accept",
    ),
    path(
        "accounts/login",
        accounts.LoginPage.as_view(
            template_name=f"{TEMPLATES}/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    # Django's LogoutView only accepts POST, so a link or a prefetch cannot sign anyone out.
    path("accounts/logout", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/settings", accounts.account, name="account"),
    path(
        "accounts/password",
        auth_views.PasswordChangeView.as_view(
            template_name=f"{TEMPLATES}/password_change.html",
            success_url=reverse_lazy("password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done",
        auth_views.PasswordChangeDoneView.as_view(
            template_name=f"{TEMPLATES}/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset",
        accounts.PasswordResetPage.as_view(
            template_name=f"{TEMPLATES}/password_reset.html",
            email_template_name=f"{TEMPLATES}/password_reset_email.txt",
            subject_template_name=f"{TEMPLATES}/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(
            template_name=f"{TEMPLATES}/password_reset_sent.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=f"{TEMPLATES}/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done",
        auth_views.PasswordResetCompleteView.as_view(
            template_name=f"{TEMPLATES}/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

organization_urlpatterns = [
    path("members/", members.members, name="members"),
    path("members/<int:membership_id>/role", members.member_role_change, name="member-role"),
    path("members/<int:membership_id>/remove", members.member_remove, name="member-remove"),
    path("invitations/", members.invitation_send, name="invitation-create"),
    path(
        "invitations/<int:invitation_id>/resend",
        members.invitation_resend_page,
        name="invitation-resend",
    ),
    path(
        "invitations/<int:invitation_id>/revoke",
        members.invitation_revoke_page,
        name="invitation-revoke",
    ),
    path("keys/", api_keys.api_keys, name="api-keys"),
    path("keys/new", api_keys.api_key_create_page, name="api-key-create"),
    path("keys/<int:api_key_id>/revoke", api_keys.api_key_revoke_page, name="api-key-revoke"),
    path("settings/", organization_settings.settings_page, name="settings"),
    path("delete", organization_settings.organization_delete_page, name="organization-delete"),
    path("audit/", audit_log.audit_log, name="audit-log"),
]
