from django.urls import path

from . import views

urlpatterns = [
    path("items/", views.item_list, name="items-list"),
    path("items/new/", views.item_new, name="items-new"),
    path("items/<int:pk>/", views.item_detail, name="items-detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="items-edit"),
    path("items/<int:pk>/verify/", views.item_verify, name="items-verify"),
    path("items/<int:pk>/status/", views.item_status, name="items-status"),
    path("items/<int:pk>/evidence/", views.evidence_add, name="items-evidence-add"),
    path("items/<int:pk>/add-to-case/", views.item_add_to_case, name="items-add-to-case"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
    path("cases/", views.case_list, name="cases-list"),
    path("cases/new/", views.case_new, name="cases-new"),
    path("cases/<int:pk>/", views.case_detail, name="cases-detail"),
    path("cases/<int:pk>/items/", views.case_add_items, name="cases-add-items"),
    path("cases/<int:pk>/remove-item/", views.case_remove_item, name="cases-remove-item"),
    path("cases/<int:pk>/status/", views.case_status, name="cases-status"),
]
