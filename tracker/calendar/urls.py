from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.calendar_issue, name="calendar-issue"),
    path("calendar/off/", views.calendar_revoke, name="calendar-revoke"),
    path("calendar/<str:secret>.ics", views.calendar_feed, name="calendar-feed"),
]
