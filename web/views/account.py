"""Web pages of accounts: the home page and the page behind the API's password reset link.

Sign up, login, logout, verification and allauth's own password reset are allauth's views
(mounted at /accounts/), rendered with our templates.
"""

from datetime import timedelta

from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.exceptions import InvalidToken

RETURNING_AFTER = timedelta(hours=1)  # a login this long after joining is a return visit


def home(request: HttpRequest) -> HttpResponse:
    # "Welcome back" is for someone who has been here before: booked, or logged in earlier
    # than this visit; a new account is simply welcomed.
    user = request.user
    returning = user.is_authenticated and (
        user.appointments.exists()
        or (user.last_login is not None and user.last_login - user.date_joined > RETURNING_AFTER)
    )
    return render(request, "home.html", {"returning": returning})


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
