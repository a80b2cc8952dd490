from django import forms
from django.contrib import admin
from django.db.models import Count

from accounts.models import Role, User
from providers.models import (
    Provider,
    Service,
    ServiceCategory,
    TimeOff,
    Urgency,
    WorkingHours,
)
from providers.services import find_overlapping_hours, provider_set_active, service_update


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "services_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(services_total=Count("services"))

    @admin.display(description="services", ordering="services_total")
    def services_count(self, obj: ServiceCategory) -> int:
        return obj.services_total


class ServiceAdminForm(forms.ModelForm):
    accepted_urgencies = forms.MultipleChoiceField(
        choices=Urgency.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Urgency levels this service can be booked with.",
    )

    class Meta:
        model = Service
        fields = [
            "category",
            "name",
            "description",
            "is_active",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "price",
            "accepted_urgencies",
            "capacity",
            "min_participants",
            "minimum_deadline_hours",
        ]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = [
        "name",
        "category",
        "duration_minutes",
        "price",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "capacity",
        "is_active",
    ]
    list_filter = ["is_active", "category"]
    search_fields = ["name", "description", "category__name"]
    list_select_related = ["category"]
    fieldsets = [
        (None, {"fields": ["category", "name", "description", "is_active"]}),
        (
            "Timing and price",
            {
                "fields": [
                    "duration_minutes",
                    "buffer_before_minutes",
                    "buffer_after_minutes",
                    "price",
                ]
            },
        ),
        ("Booking", {"fields": ["accepted_urgencies"]}),
        (
            "Group sessions",
            {
                "fields": ["capacity", "min_participants", "minimum_deadline_hours"],
                "description": "With more than one seat, each provider's session at a time "
                "holds up to that many clients.",
            },
        ),
    ]
    actions = ["activate", "deactivate"]

    @admin.action(description="Offer the selected services again")
    def activate(self, request, queryset):
        for service in queryset:
            service_update(service=service, data={"is_active": True}, actor=request.user)
        self.message_user(request, f"{queryset.count()} service(s) offered again.")

    @admin.action(description="Stop offering the selected services")
    def deactivate(self, request, queryset):
        for service in queryset:
            service_update(service=service, data={"is_active": False}, actor=request.user)
        self.message_user(request, f"{queryset.count()} service(s) no longer offered.")


class WorkingHoursFormSet(forms.BaseInlineFormSet):
    """Judges the week as submitted: intervals of one weekday must not overlap."""

    def clean(self) -> None:
        super().clean()
        kept = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors:
                continue
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            if (
                data.get("weekday") is None
                or not data.get("start_time")
                or not data.get("end_time")
            ):
                continue
            kept.append((form, (int(data["weekday"]), data["start_time"], data["end_time"])))
        overlaps = find_overlapping_hours([interval for _, interval in kept])
        for position, message in overlaps.items():
            kept[position][0].add_error("start_time", message)
        if overlaps:
            raise forms.ValidationError(
                "Working hours overlap on one day; fix the highlighted intervals "
                "(two intervals on one day make a break, e.g. 09:00-12:30 and 13:30-17:00)."
            )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0
    fields = ["weekday", "start_time", "end_time"]
    ordering = ["weekday", "start_time"]


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["start", "end", "reason"]
    ordering = ["-start"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "user_email",
        "timezone",
        "country",
        "is_active",
        "services_count",
    ]
    list_filter = ["is_active", "timezone", "country", "services"]
    search_fields = ["display_name", "user__email", "user__first_name", "user__last_name", "bio"]
    list_select_related = ["user"]
    filter_horizontal = ["services"]
    inlines = [WorkingHoursInline, TimeOffInline]
    fieldsets = [
        (None, {"fields": ["user", "display_name", "bio", "is_active"]}),
        ("Services", {"fields": ["services"]}),
        (
            "Schedule",
            {
                "fields": ["timezone", "country", "subdivision", "daily_cap"],
                "description": "Working hours below are wall-clock times in this time zone. "
                "With a country set, its public holidays close the provider's days.",
            },
        ),
    ]

    actions = ["activate", "deactivate"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(services_total=Count("services", distinct=True))
        )

    @admin.action(description="Show the selected providers to clients")
    def activate(self, request, queryset):
        for provider in queryset:
            provider_set_active(provider=provider, is_active=True, actor=request.user)
        self.message_user(request, f"{queryset.count()} provider(s) shown to clients.")

    @admin.action(description="Hide the selected providers from clients")
    def deactivate(self, request, queryset):
        for provider in queryset:
            provider_set_active(provider=provider, is_active=False, actor=request.user)
        self.message_user(request, f"{queryset.count()} provider(s) hidden from clients.")

    @admin.display(description="email", ordering="user__email")
    def user_email(self, obj: Provider) -> str:
        return obj.user.email

    @admin.display(description="services", ordering="services_total")
    def services_count(self, obj: Provider) -> int:
        return obj.services_total

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(role=Role.PROVIDER).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
