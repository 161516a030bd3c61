"""Read-mostly admin: changes to the registry go through the UI and API, which audit them."""

from django.contrib import admin

from tracker.core.admin import ReadOnlyAdmin

from .models import AdvisoryReason, GovernmentAdvisory, Platform, PlatformContact, PlatformDomain, PlatformHost


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HostInline(ReadOnlyInline):
    model = PlatformHost


class DomainInline(ReadOnlyInline):
    model = PlatformDomain


class ContactInline(ReadOnlyInline):
    model = PlatformContact


# The registry's writes are audited in platforms/services.py; the admin would bypass that.
@admin.register(Platform)
class PlatformAdmin(ReadOnlyAdmin):
    list_display = ["name", "operator_legal_name", "home_country", "url_rules", "has_government_channel"]
    search_fields = ["name", "operator_legal_name", "hosts__host"]
    inlines = [HostInline, DomainInline, ContactInline]


@admin.register(GovernmentAdvisory)
class GovernmentAdvisoryAdmin(ReadOnlyAdmin):
    list_display = ["authority", "country", "reference", "issued_on", "measure", "status"]
    list_filter = ["country", "measure", "status"]


@admin.register(AdvisoryReason)
class AdvisoryReasonAdmin(admin.ModelAdmin):
    """The managed list of reasons: administrators may add to it."""

    list_display = ["slug", "name"]
