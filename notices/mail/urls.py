from django.urls import path

from . import views

urlpatterns = [
    path("notices/mail/", views.mail_list, name="notices-mail-list"),
    path("notices/mail/bulk/", views.mail_bulk_action, name="notices-mail-bulk"),
    path("notices/mail/upload/", views.mail_upload, name="notices-mail-upload"),
    path("notices/mail/<int:pk>/", views.mail_detail, name="notices-mail-detail"),
    path("notices/mail/<int:pk>/raw/", views.mail_raw, name="notices-mail-raw"),
    path("notices/mail/<int:pk>/match/", views.mail_match, name="notices-mail-match"),
    path("notices/mail/<int:pk>/dismiss/", views.mail_dismiss, name="notices-mail-dismiss"),
]
