"""Statutory clocks: what each one measures, how long it runs and which rule sets it.

Clock rows live in `cases.models.Clock`; this module holds the rules. A transition in a lifecycle
table names the clocks it starts and stops, so the clocks cannot drift from the tables.
Periods tagged [R] in the domain brief are marked `verified=False` and shown as such in the UI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db import models

from forewarn.core import calendar


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"


class ClockKind(models.TextChoices):
    IOPC_REFERRAL = "iopc_referral", "Refer to the IOPC"
    INVESTIGATION_PROGRESS_REPORT = "investigation_progress_report", "Investigation progress report (12 / 6 months)"
    REPRESENTATIONS = "representations", "Officer's written representations"
    OFFICER_RESPONSE = "officer_response", "Officer's response to referral"
    WITNESS_LISTS = "witness_lists", "Exchange witness lists"
    MEETING_HELD = "meeting_held", "Hold the misconduct meeting"
    HEARING_HELD = "hearing_held", "Hold the misconduct hearing"
    AMH_HELD = "amh_held", "Hold the accelerated misconduct hearing"
    OUTCOME_REPORT = "outcome_report", "Send the outcome report"
    MEETING_APPEAL = "meeting_appeal", "Appeal against a meeting outcome"
    PAT_APPEAL = "pat_appeal", "Appeal to the Police Appeals Tribunal"
    COMPLAINANT_REVIEW = "complainant_review", "Complainant's application for review"
    BARRED_LIST_REPORT = "barred_list_report", "Report to the barred list"
    ADVISORY_LIST_REPORT = "advisory_list_report", "Report to the advisory list"
    JUDICIAL_REVIEW = "judicial_review", "Claim for judicial review"
    PUBLICATION = "publication", "Keep the hearing outcome published"


@dataclass(frozen=True)
class ClockRule:
    kind: ClockKind
    amount: int
    unit: Unit
    cite: str
    verified: bool = True
    # False for periods that run to a deadline the user does not have to "complete"
    # (e.g. an appeal window): they close on their own and are never overdue.
    is_task: bool = True
    # False for deadlines fixed by an event outside the case (a dismissal, a resignation): a suspended
    # investigation does not move them.
    pauses: bool = True

    def due_from(self, start: dt.date) -> dt.date:
        if self.unit is Unit.WORKING_DAYS:
            return calendar.add_working_days(start, self.amount)
        if self.unit is Unit.MONTHS:
            return calendar.add_months(start, self.amount)
        return calendar.add_calendar_days(start, self.amount)

    @property
    def period_text(self) -> str:
        words = {Unit.WORKING_DAYS: "working days", Unit.CALENDAR_DAYS: "days", Unit.MONTHS: "months"}
        return f"{self.amount} {words[self.unit]}"


CLOCK_RULES: dict[ClockKind, ClockRule] = {
    rule.kind: rule
    for rule in [
        # "as soon as possible and no later than the end of the day after the day it becomes clear" [R]
        ClockRule(ClockKind.IOPC_REFERRAL, 1, Unit.WORKING_DAYS, "C&M Regs 2020 reg 4 / IOPC statutory guidance", verified=False),
        # First report 12 months after the matter came to attention, then every 6 months.
        ClockRule(ClockKind.INVESTIGATION_PROGRESS_REPORT, 12, Unit.MONTHS, "Conduct Regs 2020 reg 19; C&M Regs 2020 reg 13"),
        ClockRule(ClockKind.REPRESENTATIONS, 10, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 18", verified=False),
        ClockRule(ClockKind.OFFICER_RESPONSE, 15, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 31(1)-(3)"),
        ClockRule(ClockKind.WITNESS_LISTS, 3, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 31(4)"),
        ClockRule(ClockKind.MEETING_HELD, 20, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 34", verified=False),
        ClockRule(ClockKind.HEARING_HELD, 100, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 34", verified=False),
        ClockRule(ClockKind.AMH_HELD, 15, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 52", verified=False),
        ClockRule(ClockKind.OUTCOME_REPORT, 5, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 43 / reg 63"),
        ClockRule(ClockKind.MEETING_APPEAL, 7, Unit.WORKING_DAYS, "Conduct Regs 2020 reg 45", is_task=False),
        ClockRule(ClockKind.PAT_APPEAL, 10, Unit.WORKING_DAYS, "Police Appeals Tribunals Rules 2020", verified=False, is_task=False),
        ClockRule(ClockKind.COMPLAINANT_REVIEW, 28, Unit.CALENDAR_DAYS, "C&M Regs 2020 reg 29", is_task=False),
        # Both run "before the end of 5 working days beginning with" the dismissal or finding (reg 3(1))
        # or the resignation or retirement (reg 12(1)(a)) [V: SI 2017/1135 as made].
        ClockRule(ClockKind.BARRED_LIST_REPORT, 5, Unit.WORKING_DAYS, "Police Barred List and Police Advisory List Regs 2017 reg 3", pauses=False),
        ClockRule(ClockKind.ADVISORY_LIST_REPORT, 5, Unit.WORKING_DAYS, "Police Barred List and Police Advisory List Regs 2017 reg 12", pauses=False),
        ClockRule(ClockKind.JUDICIAL_REVIEW, 3, Unit.MONTHS, "CPR 54.5 (promptly, and within 3 months)", verified=False, is_task=False),
        ClockRule(ClockKind.PUBLICATION, 28, Unit.CALENDAR_DAYS, "Conduct Regs 2020 reg 39 / reg 63", is_task=False),
    ]
}
# Later progress reports follow every 6 months (Conduct Regs 2020 reg 19(3)).
PROGRESS_REPORT_REPEAT_MONTHS = 6
