from django.urls import path

from tracker.cases import views

urlpatterns = [
    path("items/<int:pk>/add-to-case/", views.item_add_to_case, name="items-add-to-case"),
    path("cases/", views.case_list, name="cases-list"),
    path("cases/bulk/", views.case_bulk_action, name="cases-bulk"),
    path("cases/new/", views.case_new, name="cases-new"),
    path("cases/<int:pk>/", views.case_detail, name="cases-detail"),
    path("cases/<int:pk>/items/", views.case_add_items, name="cases-add-items"),
    path("cases/<int:pk>/remove-item/", views.case_remove_item, name="cases-remove-item"),
    path("cases/<int:pk>/status/", views.case_status, name="cases-status"),
]
