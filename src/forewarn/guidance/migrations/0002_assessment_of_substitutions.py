# An outcome substituted on appeal is assessed against the guidance too (issue #6 §2): a proceeding
# keeps one assessment of the panel's decision and one more for each substitution.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('guidance', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outcomeassessment',
            name='proceeding',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outcome_assessments',
                                    to='proceedings.proceeding'),
        ),
        migrations.AddField(
            model_name='outcomeassessment',
            name='decision',
            field=models.CharField(choices=[('outcome', 'Outcome decided by the panel'),
                                            ('substitution', 'Outcome substituted on appeal')],
                                   default='outcome', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='outcomeassessment',
            constraint=models.UniqueConstraint(condition=models.Q(('decision', 'outcome')), fields=('proceeding',),
                                               name='one_outcome_assessment_per_proceeding'),
        ),
    ]
