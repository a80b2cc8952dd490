"""Staff screens of the waitlist: entries and offers, read-only, with the ranking explained,
and the displaced appointments (a provider's change took them away) with where each
client's rebooking stands and actions to offer again or move it for them.

Entries and offers change through the services only (the client's answers, matching and the
sweep, the staff's actions here), so the admin shows them and lets staff filter; the hold
time and batch size are in the booking policy's admin.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling.errors import BookingRuleViolation, HoldGone, InvalidTransition, SlotUnavailable
from waitlist import selectors, services
from waitlist.models import DisplacedEntry, Offer, StandbyPlace, WaitlistEntry, WaitlistRange


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
        "short_notice",
    ]
    list_filter = ["status", "urgency", "short_notice", "service", "provider"]
    search_fields = ["client__email", "client__last_name"]
    list_select_related = ["client", "service", "provider", "appointment"]
    date_hierarchy = "created_at"
    inlines = [RangeInline, OfferInline]


@admin.register(StandbyPlace)
class StandbyPlaceAdmin(_ReadOnly, admin.ModelAdmin):
    """Who is first in line for the time of each appointment at high risk of a no-show."""

    list_display = ["id", "appointment", "entry", "status", "offer", "created_at", "ended_at"]
    list_filter = ["status"]
    search_fields = ["entry__client__email", "appointment__client__email"]
    list_select_related = ["appointment", "entry__client", "offer"]


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


@admin.register(DisplacedEntry)
class DisplacedEntryAdmin(_ReadOnly, admin.ModelAdmin):
    """The appointments a provider's change displaced and where each client stands: moved,
    offered (pending), not answered, declined, or no time found yet."""

    list_display = [
        "id",
        "displaced_appointment",
        "original_start",
        "client",
        "provider",
        "displaced_reason",
        "state",
        "latest_offer",
        "created_at",
    ]
    list_filter = ["status", "provider", "service"]
    search_fields = ["client__email", "client__last_name"]
    date_hierarchy = "created_at"
    inlines = [RangeInline, OfferInline]
    actions = ["offer_again", "move_for_them"]

    def get_queryset(self, request):
        return selectors.displaced_entries()

    @admin.display(description="was at")
    def original_start(self, entry: WaitlistEntry):
        appointment = entry.displaced_appointment
        return appointment.start if appointment is not None else None

    @admin.display(description="state")
    def state(self, entry: WaitlistEntry) -> str:
        return selectors.displaced_state(entry)

    @admin.display(description="latest offer")
    def latest_offer(self, entry: WaitlistEntry) -> str:
        offer = next(iter(entry.offers.all()), None)
        if offer is None:
            return "-"
        status = offer.get_status_display().lower()
        return f"{offer.start:%Y-%m-%d %H:%M} UTC with {offer.provider} ({status})"

    @admin.action(description="Offer the selected clients their best open time again")
    def offer_again(self, request, queryset) -> None:
        now, made = timezone.now(), 0
        for entry in queryset:
            made += len(services.displaced_offer_again(entry=entry, now=now))
        self.message_user(request, f"{made} offer(s) made.", messages.SUCCESS)

    @admin.action(description="Move the selected appointments for the clients")
    def move_for_them(self, request, queryset) -> None:
        now = timezone.now()
        for entry in queryset:
            try:
                moved = services.displaced_move(entry=entry, actor=request.user, now=now)
            except (
                BookingRuleViolation,
                SlotUnavailable,
                HoldGone,
                InvalidTransition,
                ValidationError,
            ) as exc:
                text = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
                self.message_user(request, f"Entry {entry.pk}: {text}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Entry {entry.pk}: moved to {moved.start:%Y-%m-%d %H:%M} UTC.",
                    messages.SUCCESS,
                )
