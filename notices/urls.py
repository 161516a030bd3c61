from django.urls import path

from . import contact_views, views

urlpatterns = [
    path("notices/", views.notice_list, name="notices-list"),
    path("notices/bulk/", views.notice_bulk_action, name="notices-bulk"),
    path("notices/<int:pk>/", views.notice_detail, name="notices-detail"),
    path("notices/<int:pk>/letter/", views.notice_letter, name="notices-letter"),
    path("notices/<int:pk>/letter.pdf", views.notice_letter_pdf, name="notices-letter-pdf"),
    path("notices/<int:pk>/confirm/", views.notice_confirm, name="notices-confirm"),
    path("notices/<int:pk>/reply/", views.notice_reply, name="notices-reply"),
    path("notices/<int:pk>/rebuttal/", views.notice_rebuttal, name="notices-rebuttal"),
    path("notices/deliveries/<int:pk>/message.eml", views.delivery_message, name="notices-delivery-message"),
    path("notices/attachments/<slug:kind>/<int:pk>/", views.attachment_download, name="notices-attachment"),
    path("notices/rebuttals/<int:pk>/decide/", views.rebuttal_decide, name="notices-rebuttal-decide"),
    path("notices/sanctions/<int:pk>/state/", views.sanction_state, name="notices-sanction-state"),
    path("cases/<int:pk>/notices/send/", views.case_send_notice, name="notices-case-send"),
    path("cases/<int:pk>/notices/record/", views.case_record_past_notice, name="notices-case-record"),
    path("cases/<int:pk>/contact-log/", contact_views.case_contact_add, name="notices-contact-add"),
    path(
        "notices/contact-log/attachments/<int:pk>/",
        contact_views.contact_attachment,
        name="notices-contact-attachment",
    ),
    path("items/<int:pk>/recheck/", views.item_recheck, name="notices-item-recheck"),
    path("platforms/<int:pk>/escalation-policy/", views.escalation_policy, name="platforms-escalation-policy"),
    path("notifications/", views.notification_list, name="notifications-list"),
    path("notifications/<int:pk>/", views.notification_open, name="notifications-open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notifications-read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
]
