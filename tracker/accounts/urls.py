from django.urls import path

from tracker.accounts import saved_filter_views, views

urlpatterns = [
    path("account/second-factor/", views.second_factor_page, name="second-factor"),
    path("account/recovery-codes/", views.new_recovery_codes, name="recovery-codes"),
    path("account/tokens/", views.token_list, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="api-token-revoke"),
    path("account/saved-filters/", saved_filter_views.saved_filter_save, name="saved-filter-save"),
    path(
        "account/saved-filters/<int:pk>/delete/",
        saved_filter_views.saved_filter_delete,
        name="saved-filter-delete",
    ),
]
urlpatterns += [
    path("people/", views.people_list, name="people"),
    path("people/invite/", views.person_invite, name="person-invite"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/grants/<int:pk>/<str:decision>/", views.grant_decision, name="grant-decision"),
]
