"""Staff manage users in /admin/: search, filter, activate, assign roles, send resets.

Actions go through accounts.services, so staff follow the same rules as the API.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import Profile, Role, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role", "first_name", "last_name", "timezone")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 1
    max_num = 1
    fields = (
        "preferred_weekdays",
        "preferred_times_of_day",
        "max_wait_days",
        "email_notifications",
        "reminders_enabled",
        "reminder_lead_minutes",
    )


def _run_for_each(modeladmin, request: HttpRequest, users: QuerySet, action, done: str) -> None:
    changed = 0
    for user in users:
        try:
            action(user)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{user}: {' '.join(exc.messages)}", messages.ERROR)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, f"{done}: {changed} user(s).", messages.SUCCESS)


def _role_action(role: str, label: str):
    def action(modeladmin, request, queryset):
        _run_for_each(
            modeladmin,
            request,
            queryset,
            lambda user: services.user_assign_role(user=user, role=role, actor=request.user),
            f"Role set to {label}",
        )

    action.__name__ = f"make_{role}"
    return admin.action(description=f"Assign role: {label}")(action)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    inlines = [ProfileInline]
    list_display = (
        "email",
        "full_name",
        "role",
        "is_active",
        "is_staff",
        "timezone",
        "date_joined",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("email",)
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal details", {"fields": ("first_name", "last_name", "phone", "timezone")}),
        (
            "Role and access",
            {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "role",
                    "first_name",
                    "last_name",
                    "timezone",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    actions = [
        "activate",
        "deactivate",
        _role_action(Role.CLIENT, "client"),
        _role_action(Role.PROVIDER, "provider"),
        _role_action(Role.ADMIN, "administrator"),
        "send_password_reset",
    ]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, user: User) -> str:
        return user.full_name

    @admin.action(description="Activate selected users")
    def activate(self, request, queryset):
        _run_for_each(
            self,
            request,
            queryset,
            lambda user: services.user_set_active(user=user, is_active=True, actor=request.user),
            "Activated",
        )

    @admin.action(description="Deactivate selected users")
    def deactivate(self, request, queryset):
        _run_for_each(
            self,
            request,
            queryset,
            lambda user: services.user_set_active(user=user, is_active=False, actor=request.user),
            "Deactivated",
        )

    @admin.action(description="Email a password reset link")
    def send_password_reset(self, request, queryset):
        _run_for_each(
            self,
            request,
            queryset.filter(is_active=True),
            lambda user: services.password_reset_email_send(user=user),
            "Password reset link sent",
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        services.profile_ensure(user=user)
        if not change:
            # Staff typed the address themselves: no verification round-trip needed.
            services.user_email_mark_verified(user=user)
