from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from tracker.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", views.preferences_form, name="preferences"),
    path("preferences/save/", views.preferences, name="preferences-save"),
    path("audit/", views.audit_list, name="audit-list"),
    path("password/", views.PasswordChange.as_view(), name="password-change"),
    # An invited person chooses their password through the link an administrator handed them.
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("login")),
        name="password_reset_confirm",
    ),
]
