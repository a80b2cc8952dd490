"""Realistic no-shows in the demo clinic, so the badges and the dashboard show something true.
Runs after `recommendations.demo.create_demo_history()`: the demo's past appointments get
their outcome again from the published structure (`attendance.generator.no_show_log_odds`:
each client's own propensity, a share who never miss, the lead-time curve, the weekday and
hour in the client's zone, reminders and confirmations), the reminders that reached clients
are recorded, a model is trained when there are enough outcomes and the upcoming appointments
are scored. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils import timezone

from attendance.generator import NEVER_MISS_SHARE, no_show_log_odds
from attendance.models import ReminderDelivery, RiskScore
from attendance.services import risk_scores_update_upcoming
from scheduling.models import Appointment, AppointmentStatus

logger = logging.getLogger(__name__)

SEED = 17
OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


def create_demo_attendance() -> None:
    if RiskScore.objects.exists() or ReminderDelivery.objects.exists():
        return  # already there
    now = timezone.now()
    past = list(
        Appointment.objects.filter(status__in=OUTCOMES, end__lt=now)
        .select_related("client")
        .order_by("pk")
    )
    if not past:
        return
    rng = np.random.default_rng(SEED)
    clients = sorted({a.client_id for a in past})
    propensity = dict(zip(clients, rng.normal(0.0, 1.1, size=len(clients)), strict=True))
    never_miss = dict(zip(clients, rng.random(len(clients)) < NEVER_MISS_SHARE, strict=True))
    local = [a.start.astimezone(ZoneInfo(a.client.timezone)) for a in past]
    lead_days = np.array([(a.start - a.created_at) / timedelta(days=1) for a in past])
    reminder_at = [a.start - timedelta(hours=24) for a in past]
    reminded = (rng.random(len(past)) < 0.85) & np.array(
        [at > a.created_at for at, a in zip(reminder_at, past, strict=True)]
    )
    offsets = np.array([propensity[a.client_id] for a in past])
    confirmed = rng.random(len(past)) < 0.45 * (1 - 1 / (1 + np.exp(-offsets))) + 0.1
    log_odds = no_show_log_odds(
        propensity=offsets,
        lead_days=lead_days,
        weekday=np.array([t.weekday() for t in local]),
        hour=np.array([t.hour for t in local]),
        reminded=reminded,
        confirmed=confirmed,
    )
    missed = rng.random(len(past)) < 1 / (1 + np.exp(-log_odds))
    with transaction.atomic():
        for appointment, miss, confirm in zip(past, missed, confirmed, strict=True):
            appointment.status = (
                AppointmentStatus.NO_SHOW
                if miss and not never_miss[appointment.client_id]
                else AppointmentStatus.COMPLETED
            )
            appointment.confirmed_at = (
                appointment.start - timedelta(hours=3)
                if confirm and appointment.start - timedelta(hours=3) > appointment.created_at
                else None
            )
        Appointment.objects.bulk_update(past, ["status", "confirmed_at"], batch_size=500)
        ReminderDelivery.objects.bulk_create(
            ReminderDelivery(appointment=a, delivered_at=at)
            for a, at, sent in zip(past, reminder_at, reminded, strict=True)
            if sent
        )
    try:
        from attendance.training import no_show_train

        result = no_show_train(seed=SEED)
        logger.info("Demo no-show model: %s", result.message)
    except Exception:  # the demo works with each service's usual rate alone
        logger.warning("Demo no-show training skipped.", exc_info=True)
    risk_scores_update_upcoming()
