"""Load the 46 forces, their local policing bodies, the IOPC and the College of Policing."""

from django.db import migrations

# Reads reference_data.py: that module is append-only (codes are referenced by case numbers).
from forewarn.organisations import reference_data as data


def load(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    for code, name in data.TERRITORIAL_FORCES + data.NATIONAL_FORCES:
        kind = "territorial_force" if (code, name) in data.TERRITORIAL_FORCES else "national_force"
        force = Organisation.objects.create(code=code, name=name, kind=kind)
        Organisation.objects.create(
            code=f"{code}-LPB", name=data.local_policing_body_name(code), kind="local_policing_body", oversees=force)
    Organisation.objects.create(code=data.IOPC[0], name=data.IOPC[1], kind="iopc")
    Organisation.objects.create(code=data.COLLEGE[0], name=data.COLLEGE[1], kind="college")


def unload(apps, schema_editor):
    apps.get_model("organisations", "Organisation").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
