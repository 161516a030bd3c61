from django.urls import path

from tracker.accounts import views

urlpatterns = [
    path("account/second-factor/", views.second_factor_page, name="second-factor"),
    path("account/recovery-codes/", views.new_recovery_codes, name="recovery-codes"),
    path("account/tokens/", views.token_list, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="api-token-revoke"),
]
