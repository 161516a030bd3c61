from django.urls import path

from tracker.evidence import views

urlpatterns = [
    path("items/<int:pk>/evidence/", views.evidence_add, name="items-evidence-add"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
]
