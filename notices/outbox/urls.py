from django.urls import path

from . import views

urlpatterns = [
    path("outbox/", views.outbox_list, name="notices-outbox"),
    path("outbox/<str:name>/", views.outbox_file, name="notices-outbox-file"),
]
