"""The periodic jobs, stored in django-celery-beat's tables so staff can edit them."""

REMINDERS_TASK_NAME = "Send due reminders"
RETRAIN_TASK_NAME = "Retrain the recommender"
DIGEST_TASK_NAME = "Providers' daily digest"
WAITLIST_SWEEP_TASK_NAME = "Sweep the waitlist"
WEBHOOKS_TASK_NAME = "Send due webhooks"
NO_SHOW_RETRAIN_TASK_NAME = "Retrain the no-show model"
NO_SHOW_RESCORE_TASK_NAME = "Re-score upcoming appointments' no-show risk"
NO_SHOW_ACT_TASK_NAME = "Act on no-show risk"
SESSION_MINIMUM_TASK_NAME = "Check group sessions' minimum"


def ensure_beat_schedule(
    *, interval_model, crontab_model, task_model, digest_hour: int = 18
) -> None:
    """Create the entries if missing; never overwrite what staff changed. Idempotent.

    Takes the model classes so a data migration can pass its historical models.
    """
    every_5_minutes, _ = interval_model.objects.get_or_create(every=5, period="minutes")
    at_0230, _ = crontab_model.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    at_digest_hour, _ = crontab_model.objects.get_or_create(
        minute="0",
        hour=str(digest_hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    task_model.objects.get_or_create(
        name=REMINDERS_TASK_NAME,
        defaults={
            "task": "notifications.tasks.send_due_reminders",
            "interval": every_5_minutes,
            "description": "Sends due reminders once each and re-drives stuck emails.",
        },
    )
    task_model.objects.get_or_create(
        name=RETRAIN_TASK_NAME,
        defaults={
            "task": "recommendations.tasks.retrain_recommender",
            "crontab": at_0230,
            "description": "Nightly retraining; the new model is promoted only if it is better.",
        },
    )
    task_model.objects.get_or_create(
        name=DIGEST_TASK_NAME,
        defaults={
            "task": "notifications.tasks.send_provider_digests",
            "crontab": at_digest_hour,
            "description": "Emails each provider tomorrow's schedule in their time zone.",
        },
    )
    every_2_minutes, _ = interval_model.objects.get_or_create(every=2, period="minutes")
    task_model.objects.get_or_create(
        name=WAITLIST_SWEEP_TASK_NAME,
        defaults={
            "task": "waitlist.tasks.sweep_waitlist",
            "interval": every_2_minutes,
            "description": "Expires unanswered offers (their time goes to the next client), "
            "rebooks appointments displaced by schedule changes and looks for freed time.",
        },
    )
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.get_or_create(
        name=WEBHOOKS_TASK_NAME,
        defaults={
            "task": "integrations.tasks.send_due_webhooks",
            "interval": every_minute,
            "description": "Sends the webhook deliveries that are due (new ones whose task "
            "was lost, and retries after their back-off).",
        },
    )
    at_0300 = _daily(crontab_model, hour=3)
    task_model.objects.get_or_create(
        name=NO_SHOW_RETRAIN_TASK_NAME,
        defaults={
            "task": "attendance.tasks.retrain_no_show",
            "crontab": at_0300,
            "description": "Nightly no-show model training; the new model is used only if it "
            "predicts better than the one in use and than each service's usual rate.",
        },
    )
    at_0400 = _daily(crontab_model, hour=4)
    task_model.objects.get_or_create(
        name=NO_SHOW_RESCORE_TASK_NAME,
        defaults={
            "task": "attendance.tasks.rescore_upcoming",
            "crontab": at_0400,
            "description": "Re-scores every upcoming appointment's risk of not being attended "
            "(after the nightly training), so the risk follows reminders and confirmations.",
        },
    )
    task_model.objects.get_or_create(
        name=NO_SHOW_ACT_TASK_NAME,
        defaults={
            "task": "notifications.tasks.act_on_no_show_risk",
            "interval": every_5_minutes,
            "description": "Sends the extra reminder of high-risk appointments, releases the "
            "unconfirmed ones past their deadline (when confirm-or-release is on) and gives "
            "their times standby clients.",
        },
    )
    task_model.objects.get_or_create(
        name=SESSION_MINIMUM_TASK_NAME,
        defaults={
            "task": "scheduling.tasks.check_session_minimums",
            "interval": every_5_minutes,
            "description": "Cancels each group session that has fewer participants than its "
            "service's minimum when its deadline comes (once), and tells every attendee.",
        },
    )


def _daily(crontab_model, *, hour: int, minute: int = 0):
    """The every-day-at crontab (UTC), shared by the entries that run at that time."""
    row, _ = crontab_model.objects.get_or_create(
        minute=str(minute),
        hour=str(hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    return row
