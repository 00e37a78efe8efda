"""A schedule as CSV and as PDF (WeasyPrint), with the redactions applied: both are built from the same
content as a served version (`services.schedule_content`), so an export cannot show more than serving
would. A served version exports exactly as sealed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.template.loader import render_to_string

from forewarn.disclosure.models import Decision, Schedule
from forewarn.disclosure.services import schedule_content

CSV_COLUMNS = ("item", "record", "organisation", "date", "what", "status_or_outcome", "linked_by",
               "added_after_version", "no_longer_linked", "decision", "reason")


def intelligence_what(facts: dict) -> str:
    """An intelligence item in words: a sensitive one names only its force (material.intelligence_facts)."""
    if facts.get("sensitive"):
        return f"Sensitive intelligence held by {facts['organisation']['name']}: ask the owning force"
    summary = "summary withheld (handling code C)" if facts.get("summary_withheld") else facts.get("summary", "")
    return f"Intelligence ({facts.get('grading', '')}) about {facts.get('described_as', '')}: {summary}"


def item_row(item: dict) -> dict:
    """One item of a schedule's content in words (the columns of the CSV and the PDF table)."""
    facts, source = item["facts"], item["source"]
    if source == "allegation":
        entry = facts["entry"]
        if entry.get("withheld"):
            what, status = "Restricted case: ask the owning force", ""
        else:
            outcome = (entry.get("outcome") or {}).get("sanction_label") or ""
            what = f"{entry.get('category_label', '')}{' — ' + entry['subcategory'] if entry.get('subcategory') else ''}"
            if facts.get("description"):
                what += f": {facts['description']}"
            parties = ", ".join(f"{p['role_label']}: {p['name']}" for p in facts.get("parties", []))
            if parties:
                what += f" ({parties})"
            status = "; ".join(x for x in (entry.get("status_label", ""), facts.get("handling", ""), outcome) if x)
        record, org, date = entry.get("case_reference") or "(withheld)", entry["organisation"]["code"], \
            entry["came_to_attention_on"]
        linked = facts.get("linked_by", {})
        linked_by = linked.get("method", "") + (f" (p={linked['probability']})" if linked.get("probability") else "")
    elif source == "outcome":
        record, org = facts.get("case_reference") or "(withheld)", facts["organisation"]["code"]
        date = facts.get("effective_on") or ""
        what = "Restricted case: ask the owning force" if facts.get("withheld") else \
            f"{facts.get('form', '')}: {facts.get('sanction_label', '')}"
        status, linked_by = facts.get("status", ""), ""
    elif source == "intelligence":
        record, org, date = facts.get("reference") or "(sensitive)", facts["organisation"]["code"], facts["received_on"]
        what, status = intelligence_what(facts), facts.get("grading", "")
        linked = facts.get("linked_by", {})
        linked_by = linked.get("method", "") + (f" (p={linked['probability']})" if linked.get("probability") else "")
    else:
        record, org, date = f"{facts['kind']}", facts["organisation"]["code"], facts["decided_on"]
        what, status, linked_by = f"{facts['kind']}: {facts['basis']}", facts["status"], ""
    decision = Decision(item["decision"]).label if item["decision"] in Decision.values else item["decision"]
    return {"item": item["key"], "record": record, "organisation": org, "date": date, "what": what,
            "status_or_outcome": status, "linked_by": linked_by, "added_after_version": item["added_after_version"],
            "no_longer_linked": "yes" if item["no_longer_linked"] else "", "decision": str(decision),
            "reason": item["reason"]}


def _content(schedule: Schedule, version: int | None) -> dict:
    if version:
        return schedule.versions.get(number=version).content
    return schedule_content(schedule, number=None)


def schedule_csv(schedule: Schedule, *, version: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in _content(schedule, version)["items"]:
        writer.writerow(item_row(item))
    return out.getvalue()


PDF_CSS = Path(__file__).parent / "templates" / "disclosure" / "schedule_pdf.css"


def schedule_pdf(schedule: Schedule, *, version: int | None = None) -> bytes:
    """The PDF; its CSS is a file beside the template (no inline style anywhere: docs/security.md)."""
    from weasyprint import CSS, HTML

    content = _content(schedule, version)
    html = render_to_string("disclosure/schedule_pdf.html", {
        "content": content, "rows": [item_row(i) for i in content["items"]],
        "hash": schedule.versions.get(number=version).content_hash if version else None})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_CSS))])
