"""allauth hooks: web sign-ups get the same client profile as API registrations."""

from allauth.account.adapter import DefaultAccountAdapter

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.profile_ensure(user=user)
        return user
