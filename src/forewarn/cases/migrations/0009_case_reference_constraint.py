# The case reference stays unique through a named constraint instead of unique=True, which on
# PostgreSQL also built a varchar_pattern_ops index for LIKE that no query uses (about 1 s of a
# national bulk load's index rebuild, 17 MB at 550,000 cases).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_subject_sex_and_birth_date_as_given'),
        ('organisations', '0006_standards_contacts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='reference',
            field=models.CharField(max_length=24),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(fields=('reference',), name='case_reference_unique'),
        ),
    ]
