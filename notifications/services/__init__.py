"""Services of notifications: each function changes state; tasks and views call these."""

from notifications.services.attendance import (
    extra_reminders_send_due,
    no_show_risk_act,
    standby_notify,
    unconfirmed_release,
)
from notifications.services.deliveries import (
    email_deliveries_create,
    email_deliveries_enqueue,
    email_deliveries_redrive,
    email_deliveries_retry,
    email_delivery_create,
    email_delivery_enqueue,
    email_delivery_send,
)
from notifications.services.digests import provider_digests_send
from notifications.services.events import appointment_event_notify
from notifications.services.inbox import (
    calendar_feed_get_or_create,
    calendar_feed_regenerate,
    notification_mark_read,
    notification_settings_save,
    notifications_mark_all_read,
)
from notifications.services.offers import offer_event_notify
from notifications.services.reminders import reminders_send_due, reminders_sync

__all__ = [
    "appointment_event_notify",
    "calendar_feed_get_or_create",
    "calendar_feed_regenerate",
    "email_deliveries_create",
    "email_deliveries_enqueue",
    "email_deliveries_redrive",
    "email_deliveries_retry",
    "email_delivery_create",
    "email_delivery_enqueue",
    "email_delivery_send",
    "extra_reminders_send_due",
    "no_show_risk_act",
    "notification_mark_read",
    "notification_settings_save",
    "notifications_mark_all_read",
    "offer_event_notify",
    "provider_digests_send",
    "reminders_send_due",
    "reminders_sync",
    "standby_notify",
    "unconfirmed_release",
]
