"""Staff screens of the waitlist: entries and offers, read-only, with the ranking explained.

Entries and offers change through the services only (the client's answers, matching and the
sweep), so the admin shows them and lets staff filter; the hold time and batch size are in
the booking policy's admin.
"""

from django.contrib import admin

from waitlist.models import Offer, WaitlistEntry, WaitlistRange


class _ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RangeInline(_ReadOnly, admin.TabularInline):
    model = WaitlistRange
    extra = 0
    fields = ["first_date", "last_date", "earliest", "latest"]
    readonly_fields = fields
    verbose_name_plural = "ranges (the client's local dates and times)"


class OfferInline(_ReadOnly, admin.TabularInline):
    model = Offer
    extra = 0
    fields = ["start", "provider", "status", "rank", "ranking_reason", "expires_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "id",
        "client",
        "service",
        "provider",
        "urgency",
        "status",
        "created_at",
        "expires_on",
        "appointment",
    ]
    list_filter = ["status", "urgency", "service", "provider"]
    search_fields = ["client__email", "client__last_name"]
    list_select_related = ["client", "service", "provider", "appointment"]
    date_hierarchy = "created_at"
    inlines = [RangeInline, OfferInline]


@admin.register(Offer)
class OfferAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "id",
        "start",
        "provider",
        "service",
        "client",
        "rank",
        "status",
        "expires_at",
        "responded_at",
    ]
    list_filter = ["status", "provider", "service", "rank"]
    search_fields = ["entry__client__email", "batch"]
    list_select_related = ["entry__client", "provider", "service"]
    date_hierarchy = "start"
    fields = [
        "entry",
        "provider",
        "service",
        "start",
        "end",
        "status",
        "batch",
        "rank",
        "ranking_reason",
        "hold",
        "appointment",
        "created_at",
        "expires_at",
        "responded_at",
    ]
    readonly_fields = fields

    @admin.display(ordering="entry__client__email")
    def client(self, offer: Offer):
        return offer.entry.client
