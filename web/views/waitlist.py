"""The waitlist's pages: the one-click offer links, joining (from the booking page, or to move
an appointment earlier), "My waitlist" with its entries and pending offers.

Unlike the older pages these post plain forms to these views, which call the waitlist's
services (the same functions the API calls, so the same rules): the pages work without
JavaScript, and the offer links work without signing in. A link's GET only shows the offer
(mail scanners open links); its confirm button POSTs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.errors import HoldGone, InvalidTransition
from scheduling.models import Appointment
from waitlist import selectors, services
from waitlist.errors import LinkInvalid, LinkUsed
from waitlist.links import ACTIONS, offer_for_token
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.services.entries import client_today
from web.views.pages import _appointment_for, _zone_of
from web.waitlist_forms import (
    WaitlistEntryChangeForm,
    WaitlistEntryForm,
    apply_service_errors,
    default_range,
    filled_ranges,
    join_forms,
    range_formset,
)

# Why a link no longer works, in the client's words, with the status it answers.
LINK_PROBLEMS = {
    "invalid": (400, "This link is not valid", "The link is incomplete or was changed."),
    "used": (409, "This link was already used", "The offer was answered already."),
    "gone": (410, "This time has gone", "The offer expired, or another client took the time."),
}


# --- the offer links ----------------------------------------------------------------------


def link_problem_page(
    request: HttpRequest, *, problems: dict, template: str, problem: str
) -> HttpResponse:
    """The page of a one-click link that no longer works: its title and reason, with the
    status that problem answers (`problems`: problem -> (status, title, reason))."""
    status, title, reason = problems[problem]
    return render(
        request,
        template,
        {"page_title": title, "reason": reason, "problem": problem},
        status=status,
    )


def _link_problem(request: HttpRequest, problem: str) -> HttpResponse:
    return link_problem_page(
        request,
        problems=LINK_PROBLEMS,
        template="pages/waitlist_link_problem.html",
        problem=problem,
    )


def _offer_view(offer: Offer, viewer) -> dict:
    """What a page shows of an offer: the time in the viewer's zone, named."""
    zone = _zone_of(viewer)
    return {
        "offer": offer,
        "start": offer.start.astimezone(zone),
        "end": offer.end.astimezone(zone),
        "held_until": offer.expires_at.astimezone(zone),
        "zone_name": zone.key,
        "moving": offer.entry.appointment,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def offer_link(request: HttpRequest, action: str, token: str) -> HttpResponse:
    """The page behind an offer email's Accept or Decline link (`waitlist.links`)."""
    if action not in ACTIONS:
        raise Http404("No such link.")
    try:
        offer, client = offer_for_token(token)
    except LinkInvalid:
        return _link_problem(request, "invalid")
    except LinkUsed:
        return _link_problem(request, "used")
    except HoldGone:
        return _link_problem(request, "gone")
    now = timezone.now()
    viewer = request.user if request.user.is_authenticated else client
    context = {**_offer_view(offer, viewer), "action": action, "page_title": "A time for you"}
    if request.method == "GET":
        if offer.expires_at <= now:
            return _link_problem(request, "gone")
        return render(request, "pages/waitlist_offer_link.html", context)
    try:
        if action == "accept":
            appointment = services.offer_accept(offer=offer, client=client, now=now)
        else:
            services.offer_decline(offer=offer, client=client, now=now)
            appointment = None
    except HoldGone:
        return _link_problem(request, "gone")
    context.update(
        done=True,
        appointment=appointment,
        page_title="Booked" if appointment else "Declined",
        mine=request.user.is_authenticated and request.user.pk == client.pk,
    )
    return render(request, "pages/waitlist_offer_link.html", context)


# --- my waitlist --------------------------------------------------------------------------


@login_required
def waitlist_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    entries = list(
        selectors.entries_of_client(client=request.user).order_by("status", "-created_at")
    )
    offers = [
        _offer_view(offer, request.user)
        for offer in selectors.offers_of_client(client=request.user)
        .filter(status=OfferStatus.PENDING, expires_at__gt=now)
        .select_related("entry__appointment")
        .order_by("expires_at")
    ]
    return render(
        request,
        "pages/waitlist.html",
        {
            "active": [e for e in entries if e.status == EntryStatus.ACTIVE],
            "closed": [e for e in entries if e.status != EntryStatus.ACTIVE][:20],
            "offers": offers,
            "standby": list(selectors.standby_places_of_client(client=request.user)),
            "viewer_timezone": _zone_of(request.user).key,
            "page_title": "My waitlist",
        },
    )


def _own_offer(request: HttpRequest, pk: int) -> Offer:
    try:
        return selectors.offer_for_client(client=request.user, offer_id=pk)
    except Offer.DoesNotExist as exc:
        raise Http404("No such offer.") from exc


@login_required
@require_POST
def offer_answer(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept or decline one of my pending offers from "My waitlist" (signed in)."""
    offer = _own_offer(request, pk)
    now = timezone.now()
    try:
        if action == "accept":
            appointment = services.offer_accept(offer=offer, client=request.user, now=now)
            moved = offer.entry.appointment_id is not None
            url = reverse("appointment-detail", args=[appointment.pk])
            return redirect(f"{url}?{'moved' if moved else 'booked'}=1")
        services.offer_decline(offer=offer, client=request.user, now=now)
    except HoldGone:
        return _link_problem(request, "gone")
    messages.info(request, "You declined that time. You are still on the waitlist.")
    return redirect("waitlist-page")


# --- joining and changing -----------------------------------------------------------------


def _join(request: HttpRequest, context: dict, *, appointment: Appointment | None = None):
    """Validate the posted forms and join through the service; the entry, or None with the
    errors on the forms."""
    form, formset = context.get("join_form") or context["entry_form"], context["ranges"]
    if not (form.is_valid() and formset.is_valid()):
        return None
    rows = filled_ranges(formset)
    data = form.cleaned_data
    try:
        return services.entry_join(
            client=request.user,
            service=appointment.service if appointment else data["service"],
            provider=appointment.provider if appointment else data.get("provider"),
            appointment=appointment,
            ranges=[item for _, item in rows],
            urgency=data["urgency"],
            expires_on=data["expires_on"],
            short_notice=data.get("short_notice", False),
            now=timezone.now(),
        )
    except ValidationError as error:
        apply_service_errors(error, form, formset, [index for index, _ in rows])
        return None


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest) -> HttpResponse:
    """Tell me when a time opens: the booking page's form posts here."""
    context = join_forms(
        today=client_today(request.user, timezone.now()),
        data=request.POST if request.method == "POST" else None,
        service=request.GET.get("service", ""),
    )
    context.update(
        page_title="Tell me when a time opens", viewer_timezone=_zone_of(request.user).key
    )
    if request.method == "POST" and _join(request, context) is not None:
        messages.success(request, "You are on the waitlist. We will tell you when a time opens.")
        return redirect("waitlist-page")
    return render(
        request,
        "pages/waitlist_join.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_earlier(request: HttpRequest, pk: int) -> HttpResponse:
    """Tell me if something earlier opens: an entry bound to my upcoming appointment;
    accepting an offer moves it."""
    appointment = _appointment_for(request, pk)
    if appointment.client_id != request.user.pk:
        raise Http404("No such appointment.")
    zone = _zone_of(request.user)
    today = client_today(request.user, timezone.now())
    last = max(today, appointment.start.astimezone(zone).date())
    data = request.POST if request.method == "POST" else None
    context = {
        "entry_form": WaitlistEntryForm(
            data=data,
            initial={"urgency": appointment.urgency, "expires_on": last},
        ),
        "ranges": range_formset(data=data, initial=[default_range(today, last)]),
        "appointment": appointment,
        "viewer_timezone": zone.key,
        "page_title": "Tell me if something earlier opens",
    }
    if request.method == "POST" and _join(request, context, appointment=appointment) is not None:
        messages.success(
            request,
            "You are on the waitlist. Accepting an earlier time will move this appointment.",
        )
        return redirect("waitlist-page")
    return render(
        request,
        "pages/waitlist_join.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _own_entry(request: HttpRequest, pk: int) -> WaitlistEntry:
    try:
        return selectors.entry_for_client(client=request.user, entry_id=pk)
    except WaitlistEntry.DoesNotExist as exc:
        raise Http404("No such waitlist entry.") from exc


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """See and change one of my entries (ranges, urgency, expiry)."""
    entry = _own_entry(request, pk)
    data = request.POST if request.method == "POST" else None
    initial = [
        {
            "first_date": r.first_date,
            "last_date": r.last_date,
            "earliest": r.earliest,
            "latest": r.latest,
        }
        for r in entry.ranges.all()
    ]
    context = {
        "entry": entry,
        "entry_form": WaitlistEntryChangeForm(
            data=data,
            initial={
                "urgency": entry.urgency,
                "expires_on": entry.expires_on,
                "short_notice": entry.short_notice,
            },
        ),
        "ranges": range_formset(data=data, initial=initial),
        "viewer_timezone": _zone_of(request.user).key,
        "page_title": f"Waiting for {entry.service.name}",
    }
    if request.method == "POST" and entry.status == EntryStatus.ACTIVE:
        form, formset = context["entry_form"], context["ranges"]
        if form.is_valid() and formset.is_valid():
            rows = filled_ranges(formset)
            try:
                services.entry_update(
                    entry=entry,
                    client=request.user,
                    now=timezone.now(),
                    ranges=[item for _, item in rows],
                    urgency=form.cleaned_data["urgency"],
                    expires_on=form.cleaned_data["expires_on"],
                    short_notice=form.cleaned_data["short_notice"],
                )
            except ValidationError as error:
                apply_service_errors(error, form, formset, [index for index, _ in rows])
            else:
                messages.success(request, "Your waitlist entry is saved.")
                return redirect("waitlist-page")
        return render(request, "pages/waitlist_entry.html", context, status=400)
    return render(request, "pages/waitlist_entry.html", context)


@login_required
@require_POST
def waitlist_entry_leave(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    try:
        services.entry_leave(entry=entry, client=request.user, now=timezone.now())
    except InvalidTransition as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You left the waitlist for {entry.service.name}.")
    return redirect("waitlist-page")
