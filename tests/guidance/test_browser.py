"""The outcome page in a real browser: the guidance panel renders under the CSP, the trial assessment
form shows the range, and a refused outlier keeps the panel beside the error."""

from __future__ import annotations

import pytest

from forewarn.organisations.models import Role
from tests.browser.conftest import browser, signed_in_page  # noqa: F401  (fixtures)
from tests.factories import make_user, seat_on_panel
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_outcome_page_shows_the_guidance_and_the_trial_form_works(signed_in_page):  # noqa: F811
    hearing = proceeding_in("heard", finding="gross_misconduct")
    panel = make_user(Role.PANEL_MEMBER)
    seat_on_panel(panel, proceeding=hearing)
    page = signed_in_page(panel)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"/actions/proceeding/{hearing.pk}/outcome_determine/")
    assert page.get_by_role("heading", name="Outcomes guidance for this decision").is_visible()
    page.get_by_text("Try an assessment (nothing is saved)").click()
    page.select_option("#g-culpability", "4")
    page.select_option("#g-harm", "3")
    page.check("#g-aggravating_factors-abuse_of_position_sexual")
    page.select_option("#g-sanction", "final_written_warning")
    page.get_by_role("button", name="Show the range").click()
    assert page.get_by_text("Indicative range: Dismissal without notice").is_visible()
    assert page.get_by_text("Outcome outlier.").is_visible()
    assert problems == []
