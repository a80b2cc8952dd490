"""The Sites row allauth names in its pages and emails: SmartBook at SITE_URL's host, not
Django's example.com."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def site_from_setting(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain[:100], "name": "SmartBook"}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_keys"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(site_from_setting, migrations.RunPython.noop)]
