from django.urls import path

from . import views

urlpatterns = [
    path("blocking/orders/", views.order_list, name="blocking-order-list"),
    path("blocking/orders/new/", views.order_new, name="blocking-order-new"),
    path("blocking/orders/<int:pk>/", views.order_detail, name="blocking-order-detail"),
    path("blocking/orders/<int:pk>/letter/", views.order_letter, name="blocking-order-letter"),
    path("blocking/orders/<int:pk>/letter.pdf", views.order_letter_pdf, name="blocking-order-letter-pdf"),
    path("blocking/orders/<int:pk>/lift/", views.lift_new, name="blocking-lift-new"),
    path("blocking/orders/<int:pk>/<slug:step>/", views.order_action, name="blocking-order-action"),
    path("blocking/blocklist/", views.blocklist, name="blocking-blocklist"),
    path("blocking/blocklist/as-of/", views.blocklist_as_of, name="blocking-blocklist-as-of"),
    path("blocking/isps/", views.isp_list, name="blocking-isp-list"),
    path("blocking/isps/new/", views.isp_edit, name="blocking-isp-new"),
    path("blocking/isps/<int:pk>/", views.isp_edit, name="blocking-isp-edit"),
    path("blocking/isps/<int:pk>/check/", views.isp_check, name="blocking-isp-check"),
    path("blocking/isps/<int:pk>/zone-key/", views.isp_zone_key, name="blocking-isp-zone-key"),
]
