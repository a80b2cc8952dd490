from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the demo clinic (accounts, providers, services, history). Idempotent."

    def handle(self, *args, **options):
        from accounts.demo import create_demo_users
        from providers.demo import create_demo_clinic
        from recommendations.demo import create_demo_history

        with transaction.atomic():
            credentials = create_demo_users()
            create_demo_clinic()
            create_demo_history()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for user, password in credentials:
            self.stdout.write(f"  {user.role:<9} {user.email:<32} {password}")
