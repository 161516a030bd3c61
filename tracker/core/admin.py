from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tracker.core import audit
from tracker.core.models import AuditEntry, Heartbeat, User


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    """Names, email and preferences only: roles are given on the tracker's People pages, where the powerful
    ones need a second administrator, and superuser status only by the break-glass command."""

    fieldsets = (*UserAdmin.fieldsets, ("Preferences", {"fields": ("language", "time_zone")}))
    readonly_fields = ("is_superuser", "is_staff", "groups", "user_permissions", "last_login", "date_joined")

    def has_add_permission(self, request):
        return False  # invite on the People page

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the audit trail keeps pointing at the person

    def user_change_password(self, request, id, form_url=""):
        # An administrator setting someone's password (a forgotten one) is in the trail; the tokens end (User.save).
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            person = User.objects.get(pk=id)
            audit.record(
                obj=person, action=AuditEntry.Action.EVENT, actor=request.user, reason="password set in the admin site"
            )
        return response

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(User.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = audit.diff(before, audit.snapshot(obj))
        if changes:
            audit.record(
                obj=obj, action=AuditEntry.Action.CHANGE, actor=request.user, changes=changes, reason="admin site"
            )


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
