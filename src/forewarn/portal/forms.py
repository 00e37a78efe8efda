"""Forms for the complainant portal: they parse what was typed; the services decide."""

from __future__ import annotations

from django import forms


class CodeRequestForm(forms.Form):
    reference = forms.CharField(label="Complaint reference", max_length=40,
                                help_text="It is on the letters we sent you, for example MET-2024-00123.",
                                error_messages={"required": "Enter the complaint reference."})
    email = forms.EmailField(label="Your e-mail address", max_length=254,
                             help_text="The address you gave us when you complained.",
                             error_messages={"required": "Enter your e-mail address.",
                                             "invalid": "Enter an e-mail address like name@example.com."})


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=20, help_text="The 8-digit code in the e-mail we sent you.",
                           error_messages={"required": "Enter the code from the e-mail."})
