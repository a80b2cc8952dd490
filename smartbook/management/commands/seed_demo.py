import logging

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

# The demo's upcoming appointments would otherwise print dozens of confirmation emails to the
# console; they still get their in-app notifications and outbox rows.
QUIET_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class Command(BaseCommand):
    help = "Create the demo clinic (accounts, providers, services, history). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--send-emails",
            action="store_true",
            help="Send the demo bookings' emails through the configured backend.",
        )

    def handle(self, *args, **options):
        from accounts.demo import create_demo_users
        from attendance.demo import create_demo_attendance
        from providers.demo import create_demo_clinic
        from recommendations.demo import create_demo_history
        from scheduling.demo import create_demo_group_sessions

        email_settings = {} if options["send_emails"] else {"EMAIL_BACKEND": QUIET_EMAIL_BACKEND}
        # In-process tasks log a line each; the demo's hundreds of emails would bury the logins.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        with override_settings(**email_settings), transaction.atomic():
            credentials = create_demo_users()
            create_demo_clinic()
            create_demo_history()
            create_demo_group_sessions()
            create_demo_attendance()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for user, password in credentials:
            self.stdout.write(f"  {user.role:<9} {user.email:<32} {password}")
