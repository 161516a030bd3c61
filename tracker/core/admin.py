from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tracker.core.models import AuditEntry, Heartbeat, User


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Preferences", {"fields": ("language", "time_zone")}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their audited services: the admin would bypass them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: nobody changes or deletes the audit trail, administrators included."""

    list_display = ["at", "actor_label", "source", "action", "content_type", "object_repr"]
    list_filter = ["action", "source", "content_type"]
    search_fields = ["actor_label", "object_repr", "object_id"]


admin.site.register(Heartbeat)
