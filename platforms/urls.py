from django.urls import path

from . import views

urlpatterns = [
    path("platforms/", views.platform_list, name="platforms-list"),
    path("platforms/new/", views.platform_edit, name="platforms-new"),
    path("platforms/<int:pk>/", views.platform_detail, name="platforms-detail"),
    path("platforms/<int:pk>/edit/", views.platform_edit, name="platforms-edit"),
    path("platforms/<int:pk>/names/", views.platform_names, name="platforms-names"),
    path("platforms/<int:pk>/trusted-flagger/", views.trusted_flagger, name="platforms-trusted-flagger"),
    path("platforms/<int:platform_pk>/contacts/new/", views.contact_edit, name="platforms-contact-new"),
    path("platforms/contacts/<int:pk>/", views.contact_edit, name="platforms-contact-edit"),
    path("platforms/contacts/<int:pk>/deactivate/", views.contact_deactivate, name="platforms-contact-deactivate"),
    path("platforms/advisories/", views.advisory_list, name="platforms-advisory-list"),
    path("platforms/advisories/new/", views.advisory_edit, name="platforms-advisory-new"),
    path("platforms/advisories/<int:pk>/", views.advisory_detail, name="platforms-advisory-detail"),
    path("platforms/advisories/<int:pk>/edit/", views.advisory_edit, name="platforms-advisory-edit"),
    path("platforms/advisories/<int:pk>/lift/", views.advisory_lift, name="platforms-advisory-lift"),
]
