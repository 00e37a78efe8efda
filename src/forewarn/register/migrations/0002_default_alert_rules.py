"""The default set of serious-allegation rules (issue #4 §2). Administrators change them later."""

from django.db import migrations

DEFAULT_RULES = [
    ("mandatory_referral", "*", "Any mandatory referral category (PRA 2002 Sch 3 para 4; C&M Regs 2020 reg 4)"),
    ("category", "sexual_conduct", "Sexual conduct"),
    ("subcategory", "Abuse of position for sexual purpose", "Abuse of position for a sexual purpose"),
    ("subcategory", "Abuse of position for the purpose of pursuing an inappropriate emotional relationship",
     "Abuse of position to pursue an emotional relationship"),
    ("flag", "vawg", "Violence against women and girls"),
    ("flag", "domestic_abuse", "Domestic abuse"),
    ("category", "discriminatory", "Discriminatory behaviour"),
    ("standard", "SPB-HI", "Dishonesty (Standard: honesty and integrity)"),
    ("severity", "gross_misconduct", "Severity assessed as gross misconduct"),
    # IOPC national recommendation (Aug 2023): tell the PSD when an officer is linked to a criminal investigation.
    ("flag", "criminal_suspect", "The officer is a suspect in a criminal investigation"),
]


def load(apps, schema_editor):
    rule = apps.get_model("register", "AlertRule")
    for field, value, description in DEFAULT_RULES:
        rule.objects.get_or_create(field=field, value=value, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
