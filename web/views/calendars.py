"""The provider's external calendars page (`/schedule/calendars`, linked from "My
schedule"): subscribe to an ICS address, connect a CalDAV account, pick which calendars count
as busy and which receives appointments, sync now, disconnect, and the state of each.

Plain forms posted to these views, which call `calendars.services` (the API's own functions,
so the same rules); the page works without JavaScript. Another provider's connection is 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from calendars import selectors, services
from calendars.models import CalendarConnection
from providers.models import Provider
from web.views.pages import _zone_of, provider_required


class SubscribeForm(forms.Form):
    url = forms.CharField(
        label="Calendar address (ICS)",
        max_length=2000,
        help_text="The secret address in iCal format (Google Calendar), a published Outlook "
        "calendar, or any .ics or webcal:// address.",
    )
    name = forms.CharField(label="Name", max_length=200, required=False)


class CalDAVForm(forms.Form):
    url = forms.CharField(label="CalDAV server address", max_length=2000)
    username = forms.CharField(label="User name", max_length=200)
    password = forms.CharField(
        label="App password",
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted; it is never shown again.",
    )
    name = forms.CharField(label="Name", max_length=200, required=False)


def _apply(form: forms.Form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _own(request: HttpRequest, pk: int) -> CalendarConnection:
    try:
        return selectors.connection_for(user=request.user, connection_id=pk)
    except CalendarConnection.DoesNotExist:
        raise Http404("No such calendar connection.") from None


def _page(request, provider, *, subscribe=None, caldav=None, status=200) -> HttpResponse:
    connections = [
        (
            connection,
            selectors.connection_state(connection),
            selectors.masked_address(connection.url),
            any(calendar.receives_appointments for calendar in connection.calendars.all()),
        )
        for connection in selectors.connections_of(user=request.user)
    ]
    return render(
        request,
        "pages/calendars.html",
        {
            "page_title": "My calendars",
            "viewer_timezone": _zone_of(request.user).key,
            "provider": provider,
            "connections": connections,
            "subscribe_form": subscribe or SubscribeForm(),
            "caldav_form": caldav or CalDAVForm(),
        },
        status=status,
    )


@provider_required
def calendars_page(request: HttpRequest, *, provider: Provider) -> HttpResponse:
    return _page(request, provider)


@require_POST
@provider_required
def calendar_subscribe(request: HttpRequest, *, provider: Provider) -> HttpResponse:
    form = SubscribeForm(request.POST)
    if form.is_valid():
        try:
            connection = services.connection_create_ics(
                provider=provider,
                url=form.cleaned_data["url"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            _told(request, connection)
            return redirect("calendars-page")
    return _page(request, provider, subscribe=form, status=400)


@require_POST
@provider_required
def calendar_connect_caldav(request: HttpRequest, *, provider: Provider) -> HttpResponse:
    form = CalDAVForm(request.POST)
    if form.is_valid():
        try:
            connection = services.connection_create_caldav(
                provider=provider,
                url=form.cleaned_data["url"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            _told(request, connection)
            return redirect("calendars-page")
    return _page(request, provider, caldav=form, status=400)


@require_POST
@provider_required
def calendar_choose(request: HttpRequest, pk: int, *, provider: Provider) -> HttpResponse:
    connection = _own(request, pk)
    known = {str(calendar.pk): calendar.pk for calendar in connection.calendars.all()}
    busy = [known[value] for value in request.POST.getlist("busy") if value in known]
    receiving = request.POST.get("receiving", "")
    try:
        services.connection_calendars_update(
            connection=connection,
            busy_calendar_ids=busy,
            receiving_calendar_id=known.get(receiving),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{connection.name}: your choice of calendars is saved.")
    return redirect("calendars-page")


@require_POST
@provider_required
def calendar_sync(request: HttpRequest, pk: int, *, provider: Provider) -> HttpResponse:
    connection = _own(request, pk)
    try:
        connection = services.connection_sync_now(connection=connection, actor=request.user)
    except (services.SyncBusy, services.SyncTooSoon) as busy:
        messages.warning(request, busy.message)
    else:
        _told(request, connection)
    return redirect("calendars-page")


@require_POST
@provider_required
def calendar_disconnect(request: HttpRequest, pk: int, *, provider: Provider) -> HttpResponse:
    connection = _own(request, pk)
    services.connection_delete(connection=connection, actor=request.user)
    messages.success(request, f"{connection.name} is disconnected; its busy time no longer blocks.")
    return redirect("calendars-page")


def _told(request: HttpRequest, connection: CalendarConnection) -> None:
    words = f"{connection.name}: {selectors.connection_state(connection).words}"
    (messages.error if connection.last_error else messages.success)(request, words)
