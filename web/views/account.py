"""Web pages of accounts: the home page and the page behind the API's password reset link.

Sign up, login, logout, verification and allauth's own password reset are allauth's views
(mounted at /accounts/), rendered with our templates.
"""

from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.exceptions import InvalidToken


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_token(request: HttpRequest, token: str) -> HttpResponse:
    """Choose a new password with the opaque token emailed by POST /api/auth/password/reset."""
    template = "account/password_reset_token.html"
    try:
        user = services.password_reset_token_user(token=token)
    except InvalidToken:
        return render(request, template, {"token_invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                token=token, new_password=form.cleaned_data["new_password1"]
            )
        except InvalidToken:
            return render(request, template, {"token_invalid": True}, status=400)
        except ValidationError as exc:
            form.add_error("new_password2", exc.messages)
        else:
            return render(request, template, {"done": True})
    return render(request, template, {"form": form, "reset_user": user})
