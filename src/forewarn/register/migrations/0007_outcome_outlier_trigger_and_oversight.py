# Issue #6 §2: the "outcome outlier" trigger, the IOPC oversight unit and the two recipient bases.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('register', '0006_alert_withdrawal_and_correction'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alert',
            name='trigger',
            field=models.CharField(choices=[('serious_allegation', 'Serious allegation recorded'), ('severity_change', 'Severity assessment changed'), ('suspension', 'Matter suspended or resumed'), ('outcome', 'Outcome of proceedings'), ('transfer', "Transfer in: the person's whole history"), ('list_entry', 'Barred or advisory list entry'), ('correction', 'Correction: an earlier alert was about the wrong person'), ('outcome_outlier', 'Outcome outlier: below the outcomes guidance')], max_length=24),
        ),
        migrations.AlterField(
            model_name='alertrecipient',
            name='basis',
            field=models.CharField(choices=[('employs', 'Currently employs the person'), ('vetting_application', 'Open vetting application'), ('transfer_application', 'Open transfer application'), ('receiving_force', 'The person has transferred in'), ('previously_told', 'Was told of the alert now corrected'), ('appropriate_authority', 'Appropriate authority for the proceeding'), ('oversight', 'Oversight: the IOPC may seek judicial review of the outcome')], max_length=24),
        ),
        migrations.AlterField(
            model_name='alertrecipient',
            name='unit',
            field=models.CharField(choices=[('standards', 'Professional standards department'), ('vetting', 'Vetting unit'), ('oversight', 'Oversight unit (IOPC)')], max_length=16),
        ),
        migrations.AlterField(
            model_name='webhookendpoint',
            name='unit',
            field=models.CharField(choices=[('standards', 'Professional standards department'), ('vetting', 'Vetting unit'), ('oversight', 'Oversight unit (IOPC)')], max_length=16),
        ),
    ]
