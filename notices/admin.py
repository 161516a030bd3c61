from django.contrib import admin

from tracker.core.admin import ReadOnlyAdmin

from .models import (
    ContactEntry,
    ContentCheck,
    Delivery,
    DeliveryAttempt,
    EscalationPolicy,
    EscalationStep,
    InboundMail,
    Notice,
    PlatformPageRule,
    Rebuttal,
    Sanction,
    StepTranslation,
)


class StepInline(admin.StackedInline):
    model = EscalationStep
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "is_default"]
    inlines = [StepInline]


@admin.register(StepTranslation)
class StepTranslationAdmin(admin.ModelAdmin):
    list_display = ["step", "language"]


# Notices and their delivery evidence change only through the services.
@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "case", "step", "status", "sent_at", "deadline_at"]
    list_filter = ["status"]
    search_fields = ["reference"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["notice", "recipient", "state", "accepted_at", "needs_check"]
    list_filter = ["state", "needs_check"]
    exclude = ["raw_message"]
    inlines = [AttemptInline]


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "from_address", "subject", "notice", "state"]
    list_filter = ["state", "kind", "source"]
    search_fields = ["subject", "from_address", "message_id", "notice__reference"]
    exclude = ["text"]


@admin.register(Rebuttal)
class RebuttalAdmin(ReadOnlyAdmin):
    list_display = ["notice_item", "received_at", "decision", "decided_by"]
    list_filter = ["decision"]


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["case", "amount", "currency", "state", "imposed_at"]
    list_filter = ["state"]


# The contact log is append-only: recorded on the case page or through the API, never edited here.
@admin.register(ContactEntry)
class ContactEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "case", "kind", "recorded_by", "corrects"]
    list_filter = ["kind"]
    search_fields = ["summary"]


# How re-checks read each kind of platform's pages: data administrators keep (rechecks.py uses it).
@admin.register(PlatformPageRule)
class PlatformPageRuleAdmin(admin.ModelAdmin):
    list_display = ["url_rules", "geo_block_pattern", "identifier_pattern"]


@admin.register(ContentCheck)
class ContentCheckAdmin(ReadOnlyAdmin):
    list_display = ["item", "due_at", "checked_at", "outcome", "status_code", "elapsed_ms"]
    list_filter = ["outcome", "occasion"]
