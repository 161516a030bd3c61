from django.urls import path

from tracker.items import views

urlpatterns = [
    path("items/", views.item_list, name="items-list"),
    path("items/bulk/", views.item_bulk_action, name="items-bulk"),
    path("items/new/", views.item_new, name="items-new"),
    path("items/<int:pk>/", views.item_detail, name="items-detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="items-edit"),
    path("items/<int:pk>/verify/", views.item_verify, name="items-verify"),
    path("items/<int:pk>/status/", views.item_status, name="items-status"),
]
