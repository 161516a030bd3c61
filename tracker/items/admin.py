from django.contrib import admin

from tracker.items.models import Category, FlaggedItem

admin.site.register(Category)
admin.site.register(FlaggedItem)
