"""The web form for recording an intelligence report: it only parses; `intelligence.services` checks."""

from __future__ import annotations

from django import forms as django_forms

from forewarn.intelligence.models import HandlingCode, IntelligenceAssessment, SourceEvaluation
from forewarn.web import forms
from forewarn.workforce.models import Rank, Sex


class IntelligenceForm(django_forms.Form):
    reference = django_forms.CharField(max_length=40, label="Your force's reference")
    received_on = forms.DateField(label="Date received")
    source_evaluation = django_forms.ChoiceField(choices=SourceEvaluation.choices, widget=django_forms.RadioSelect,
                                                 label="Source evaluation (3x5x2)")
    intelligence_assessment = django_forms.ChoiceField(choices=IntelligenceAssessment.choices,
                                                       widget=django_forms.RadioSelect,
                                                       label="Intelligence assessment (3x5x2)")
    handling_code = django_forms.ChoiceField(choices=HandlingCode.choices, widget=django_forms.RadioSelect,
                                             label="Handling code (3x5x2)")
    handling_conditions = django_forms.CharField(required=False, max_length=2000, widget=django_forms.Textarea,
                                                 label="Handling conditions (C only)")
    summary_may_be_disclosed = django_forms.BooleanField(
        required=False, label="The conditions allow the summary on a disclosure schedule (C only)")
    summary = django_forms.CharField(max_length=5000, widget=django_forms.Textarea, label="Summary")
    sensitive = django_forms.BooleanField(
        required=False, label="Sensitive: its content never leaves this force (schedules say only that it exists)")
    name_as_given = django_forms.CharField(required=False, max_length=200, label="Subject's name as given")
    rank_as_given = django_forms.ChoiceField(choices=[("", "Not known"), *Rank.choices], required=False, label="Rank")
    number_as_given = django_forms.CharField(required=False, max_length=20, label="Collar or warrant number")
    station_as_given = django_forms.CharField(required=False, max_length=120, label="Station")
    approximate_age = django_forms.IntegerField(required=False, min_value=16, max_value=90, label="Approximate age")
    sex_as_given = django_forms.ChoiceField(choices=[("", "Not known"), *Sex.choices[:2]], required=False, label="Sex")
