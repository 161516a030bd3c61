from django.contrib import admin

from tracker.cases.models import Case

admin.site.register(Case)
