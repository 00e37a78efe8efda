"""Which set of statutory rules applies, decided by dates (domain brief §1.3).

Every rule that varies by regime is looked up by the stored regime, never hard-wired, so an old
case keeps the rules it started under.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

# Police (Complaints and Misconduct) Regs 2020 and Police (Conduct) Regs 2020 in force.
R2020_START = dt.date(2020, 2, 1)
# SI 2025/558 in force: presumption of dismissal for gross misconduct, former officers to AMH.
# Transitional reg 66: applies to matters coming to attention on or after this date.
R2025_START = dt.date(2025, 5, 28)
# SI 2024/521: chair + two independent members + legally qualified person replaces the LQC panel.
# [U] transitional trigger; Forewarn uses the date notice of referral was given.
PANELS_2024_START = dt.date(2024, 5, 7)


class Regime(models.TextChoices):
    R2012 = "R2012", "2012 regime (before 1 February 2020)"
    R2020 = "R2020", "2020 regime (from 1 February 2020)"
    R2025 = "R2025", "2025 regime (from 28 May 2025)"


class PanelRegime(models.TextChoices):
    LQC = "LQC", "Legally qualified chair, senior officer, independent member"
    CHAIR_2024 = "CHAIR_2024", "Police chair, two independent members, legally qualified person"


def regime_for(came_to_attention_on: dt.date) -> Regime:
    """The complaints and conduct regime, from when the matter came to the AA's attention."""
    if came_to_attention_on < R2020_START:
        return Regime.R2012
    if came_to_attention_on < R2025_START:
        return Regime.R2020
    return Regime.R2025


def panel_regime_for(notice_on: dt.date) -> PanelRegime:
    return PanelRegime.LQC if notice_on < PANELS_2024_START else PanelRegime.CHAIR_2024
