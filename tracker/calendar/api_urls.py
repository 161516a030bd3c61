from django.urls import path

from . import api

urlpatterns = [path("calendar-feed/", api.CalendarFeedView.as_view(), name="api-calendar-feed")]
