"""Staff see every provider's external calendars: state, errors, calendars; never the app
password nor a subscription's full (secret) address. Actions call the services."""

from django.contrib import admin, messages

from calendars import selectors, services
from calendars.models import CalendarConnection, RemoteCalendar


class RemoteCalendarInline(admin.TabularInline):
    model = RemoteCalendar
    fields = ["name", "counts_as_busy", "receives_appointments"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "name",
        "kind",
        "address",
        "last_success_at",
        "events_imported",
        "state",
    ]
    list_filter = ["kind"]
    search_fields = ["provider__display_name", "name"]
    fields = [
        "provider",
        "name",
        "kind",
        "address",
        "username",
        "state",
        "last_success_at",
        "last_attempt_at",
        "next_attempt_at",
        "failing_since",
        "failures",
        "events_imported",
        "last_error",
    ]
    readonly_fields = fields
    inlines = [RemoteCalendarInline]
    actions = ["sync_now"]

    def has_add_permission(self, request) -> bool:
        return False  # a provider connects their own calendars (the credentials are theirs)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="address")
    def address(self, connection: CalendarConnection) -> str:
        return selectors.masked_address(connection.url)

    @admin.display(description="state")
    def state(self, connection: CalendarConnection) -> str:
        return selectors.connection_state(connection).words

    @admin.action(description="Sync the selected calendars now")
    def sync_now(self, request, queryset):
        for connection in queryset:
            try:
                synced = services.connection_sync_now(connection=connection, actor=request.user)
            except (services.SyncBusy, services.SyncTooSoon) as busy:
                self.message_user(request, f"{connection}: {busy.message}", messages.WARNING)
                continue
            level = messages.ERROR if synced.last_error else messages.SUCCESS
            self.message_user(
                request, f"{connection}: {selectors.connection_state(synced).words}", level
            )
