from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.import_list, name="imports-list"),
    path("imports/new/", views.import_new, name="imports-new"),
    path("imports/<int:pk>/", views.import_detail, name="imports-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="imports-progress"),
    path("imports/<int:pk>/rejections/", views.rejection_list, name="imports-rejections"),
]
