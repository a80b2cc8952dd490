"""allauth's forms with our labels, in sentence case and the words of our pages
(`ACCOUNT_FORMS`). The sign-up form's own extra field lives in `accounts.forms`, which
allauth builds its sign-up form on (so this module may import allauth's forms, and that one
may not)."""

from allauth.account import forms as allauth_forms

EMAIL = "Email address"
PASSWORD_AGAIN = "Password again"


def _relabel(form, labels: dict[str, str]) -> None:
    for name, label in labels.items():
        field = form.fields.get(name)
        if field is not None:
            field.label = label
            field.widget.attrs.pop("placeholder", None)


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(
            self,
            {
                "login": EMAIL,
                "password": "Password",
                "remember": "Keep me logged in on this device",
            },
        )


class SignupForm(allauth_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"email": EMAIL, "password1": "Password", "password2": PASSWORD_AGAIN})


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"email": EMAIL})


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"password1": "New password", "password2": "New password again"})


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(
            self,
            {
                "oldpassword": "Current password",
                "password1": "New password",
                "password2": "New password again",
            },
        )


class SetPasswordForm(allauth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"password1": "Password", "password2": PASSWORD_AGAIN})


class AddEmailForm(allauth_forms.AddEmailForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"email": EMAIL})


class ReauthenticateForm(allauth_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"password": "Password"})
