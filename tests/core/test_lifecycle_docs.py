"""docs/lifecycle.md is generated from the tables and must not drift from them."""

from pathlib import Path

import pytest

from forewarn.core.diagrams import render_lifecycle_docs, render_machine, write_lifecycle_docs
from forewarn.core.registry import all_machines, machine_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def test_committed_lifecycle_docs_match_the_tables():
    assert DOCS.read_text(encoding="utf-8") == render_lifecycle_docs(), (
        "docs/lifecycle.md is stale: run forewarn.core.diagrams.write_lifecycle_docs('docs/lifecycle.md')")


def test_every_transition_appears_in_its_diagram_and_table():
    for machine in all_machines():
        text = render_machine(machine)
        assert "stateDiagram-v2" in text
        for t in machine.transitions:
            assert f"(`{t.action}`)" in text
            for source in t.sources:
                assert f"s_{source} --> s_{t.target} :" in text


def test_docs_show_roles_data_clocks_and_citations():
    text = render_machine(machine_for("case"))
    row = next(line for line in text.splitlines() if "(`refer_to_iopc`)" in line)
    assert "appropriate_authority" in row and "`referral_basis` (mandatory / voluntary / called_in) *required*" in row
    assert "stops Refer to the IOPC" in row and "C&M Regs 2020 reg 4" in row
    row = next(line for line in text.splitlines() if "(`investigate`)" in line)
    assert "starts Investigation progress report (12 / 6 months) (12 months), from progress report anchor" in row


def test_machine_for_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="subject_allegation"):
        machine_for("nope")


def test_write_lifecycle_docs(tmp_path):
    path = write_lifecycle_docs(tmp_path / "out" / "lifecycle.md")
    assert path.read_text(encoding="utf-8") == render_lifecycle_docs()
