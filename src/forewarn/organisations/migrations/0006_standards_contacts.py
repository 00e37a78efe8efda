"""Give every force a (fictional, non-routable) professional standards contact point for the register."""

from django.db import migrations


def fill(apps, schema_editor):
    organisation = apps.get_model("organisations", "Organisation")
    for org in organisation.objects.filter(standards_contact=""):
        # .invalid is reserved (RFC 2606): demo data must never reach a real mailbox.
        org.standards_contact = f"professional-standards@{org.code.lower()}.police.invalid"
        org.save(update_fields=["standards_contact"])


class Migration(migrations.Migration):
    dependencies = [("organisations", "0005_organisation_standards_contact")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
