"""Staff manage users in /admin/: search, filter, activate, assign roles, send resets.

Actions and the change form go through accounts.services, so staff follow the same rules as
the API: the role decides `is_staff` (role admin if and only if staff), deactivation revokes
the user's tokens, and nobody demotes or deactivates their own account.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect

from accounts import services
from accounts.models import APIKey, APIKeyScope, APIKeyWrite, Profile, Role, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role", "first_name", "last_name", "timezone")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        # What accounts.services.user_admin_update changes, plus Django's admin groups.
        # The staff flag follows the role; email and superuser status are not edited here.
        fields = (*services.ADMIN_EDITABLE_FIELDS, "groups")


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 1
    max_num = 1
    fields = (
        "preferred_weekdays",
        "preferred_times_of_day",
        "avoided_weekdays",
        "earliest_time",
        "latest_time",
        "preferences_changed_at",
        "max_wait_days",
        "email_notifications",
        "reminders_enabled",
        "reminder_lead_minutes",
    )
    readonly_fields = ("preferences_changed_at",)


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
    readonly_fields = ("email", "is_staff", "is_superuser", "date_joined", "last_login")
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

    def get_readonly_fields(self, request, obj=None):
        # The add form types the address in; once the user exists it is read-only.
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            # The creation form saved the row; the service sets the staff flag from the role.
            services.user_assign_role(user=obj, role=obj.role, actor=request.user)
            return
        data = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in services.ADMIN_EDITABLE_FIELDS
        }
        if data:
            services.user_admin_update(user=obj, data=data, actor=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal by the service (e.g. demoting yourself) rolls the whole change back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        # The profile goes through the accounts service, like the API and the profile page:
        # a change of the stated wishes is stamped there (recommendations weigh the history
        # from before it less).
        if formset.model is not Profile or not change:
            return super().save_formset(request, form, formset, change)
        # What the admin's history records (formset.save() would set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            data = {
                field: inline_form.cleaned_data[field]
                for field in inline_form.changed_data
                if field in services.PROFILE_EDITABLE_FIELDS
            }
            if data:
                services.profile_update(user=form.instance, data=data)
                formset.changed_objects.append((inline_form.instance, list(data)))
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        services.profile_ensure(user=user)
        if not change:
            # Staff typed the address themselves: no verification round-trip needed.
            services.user_email_mark_verified(user=user)


class APIKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=APIKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A key reaches only the endpoints of its scopes.",
    )

    class Meta:
        model = APIKey
        fields = ("name", "scopes", "expiry_date")


class APIKeyWriteInline(admin.TabularInline):
    model = APIKeyWrite
    fields = ("at", "key_name", "method", "path", "status_code", "appointment_id")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    ordering = ("-at", "-pk")
    verbose_name_plural = "Writes made with this key"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys of other systems. The full key is shown once, in the message after it is
    created (only its hash is stored); a key is revoked at once by the action."""

    form = APIKeyForm
    list_display = (
        "name",
        "prefix",
        "scope_list",
        "created",
        "created_by",
        "expiry_date",
        "_has_expired",
        "revoked",
        "last_used_at",
    )
    list_filter = ("revoked", "created")
    search_fields = ("name", "prefix")
    actions = ["revoke_keys"]
    inlines = [APIKeyWriteInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("prefix", "created", "created_by", "last_used_at", "revoked")
        return (*fixed, "name", "scopes", "expiry_date") if obj.revoked else fixed

    @admin.display(description="Scopes")
    def scope_list(self, obj: APIKey) -> str:
        return ", ".join(obj.scopes) or "none"

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            obj.save()
            return
        created = services.api_key_create(
            name=obj.name,
            scopes=list(obj.scopes),
            expiry_date=obj.expiry_date,
            created_by=request.user,
        )
        # The admin goes on with this object (the log entry, the redirect).
        obj.__dict__.update(
            {
                name: value
                for name, value in created.api_key.__dict__.items()
                if not name.startswith("_")
            }
        )
        obj._state.adding = False
        self.message_user(
            request,
            f"The API key for {obj.name} is: {created.key} - store it somewhere safe now: "
            "it is stored hashed and will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys (at once, cannot be undone)")
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)


def _library_key_admin_unregistered() -> None:
    """The library's own concrete APIKey model is not the one this project authenticates
    with (`accounts.APIKey`): keep it out of the admin so nobody makes a key that works
    nowhere."""
    from rest_framework_api_key.models import APIKey as LibraryAPIKey

    if admin.site.is_registered(LibraryAPIKey):
        admin.site.unregister(LibraryAPIKey)


_library_key_admin_unregistered()
