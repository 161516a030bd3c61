from django.contrib import admin

from .models import ISP, ISPAccount


class ISPAccountInline(admin.TabularInline):
    model = ISPAccount
    extra = 0
    raw_id_fields = ["user"]


@admin.register(ISP)
class ISPAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_number", "contact_email", "is_active"]
    search_fields = ["name", "licence_number"]
    inlines = [ISPAccountInline]
