"""allauth hooks: web sign-ups get the same client profile as API registrations, and
allauth's emails are ours (our layout, our voice, a way to reach us)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.template.loader import render_to_string

from accounts import services
from accounts.emails import account_email_context


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.profile_ensure(user=user)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {**account_email_context(context.get("user"), email), **context}
        # Our layout heads the email with its title: the subject, without our prefix.
        context.setdefault(
            "title", " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        )
        super().send_mail(template_prefix, email, context)
