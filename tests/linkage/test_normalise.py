"""Field normalisation for linkage (linkage/normalise.py): examples and properties."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forewarn.linkage import normalise


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Zoë   O'Brien-Smith. ", "zoe obrien smith"),
    ("ØRSTED", "orsted"),
    ("St. John", "st john"),
    ("mc\tGUIRE", "mc guire"),
    ("21565.0", "21565"),
    ("   ", None),
    ("", None),
    ("?!", None),
])
def test_text(raw, expected):
    assert normalise.text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("UNKNOWN", None), ("n/a", None), ("N.K.", None), ("Officer", None), ("xxx", None),
    # Real surnames that are also ranks stay: only the whole phrase "police constable" is a placeholder.
    ("Constable", "constable"), ("Sergeant", "sergeant"), ("Police Constable", None),
    ("Morwenna", "morwenna"),
])
def test_name_placeholders(raw, expected):
    assert normalise.name(raw) == expected


def test_placeholder_pair():
    assert normalise.placeholder_name("police", "officer")
    assert not normalise.placeholder_name("morwenna", "officer")
    assert not normalise.placeholder_name(None, None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Tresize, Morwenna Jane", ("morwenna", "jane", "tresize", None)),
    ("PC Morwenna Jane Tresize Jr.", ("morwenna", "jane", "tresize", "jr")),
    ("DS  gethin  ap  Rhys", ("gethin", "ap", "rhys", None)),
    ("Tresize", (None, None, "tresize", None)),
    ("POLICE OFFICER", (None, None, None, None)),
    ("", (None, None, None, None)),
])
def test_split_full_name(raw, expected):
    assert normalise.split_full_name(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("21565.0", "21565"), ("00457", "457"), ("0000", "0"), ("ab 12", "AB12"), (" ", None), ("KA-0457", "KA0457"),
])
def test_badge_number(raw, expected):
    assert normalise.badge_number(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("sw1a1aa", "SW1A 1AA"), (" pl1  2ab ", "PL1 2AB"), ("M1 1AE", "M1 1AE"), ("4129", "4129"),
    ("90210 ", "90210"), ("", None),
])
def test_postcode(raw, expected):
    assert normalise.postcode(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("M", ("M", True)), ("female", ("F", True)), (" MALE ", ("M", True)), ("U", (None, True)),
    ("", (None, True)), ("Unknown", (None, True)), ("Q", (None, False)),
])
def test_sex(raw, expected):
    assert normalise.sex(raw) == expected


def test_suffix():
    assert [normalise.suffix(s) for s in ("Jr.", "JUNIOR", "Snr", "III", "")] == ["jr", "jr", "sr", "iii", None]


def test_dates_in_a_format_and_iso():
    parser = normalise.DateParser("%m/%d/%Y")
    assert parser.parse("07/04/1999") == dt.date(1999, 7, 4)
    assert parser.parse("1999-07-04") == dt.date(1999, 7, 4)
    assert parser.parse("1999-07-04 00:00:00") == dt.date(1999, 7, 4)
    for bad in ("04/31/1999", "1999-02-30", "yesterday"):
        with pytest.raises(ValueError):
            parser.parse(bad)
    with pytest.raises(ValueError):
        normalise.DateParser(None).parse("07/04/1999")


def test_year():
    assert normalise.year("1975.0") == 1975
    with pytest.raises(ValueError):
        normalise.year("75")


@given(st.text(max_size=40))
def test_text_is_canonical(raw):
    value = normalise.text(raw)
    if value is not None:
        assert re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", value)
        assert normalise.text(value) == value  # idempotent: normalising twice changes nothing


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_badge_and_postcode_are_idempotent(raw):
    badge = normalise.badge_number(raw)
    if badge is not None:
        assert re.fullmatch(r"[A-Z0-9]+", badge) and normalise.badge_number(badge) == badge
    code = normalise.postcode(raw)
    if code is not None:
        assert normalise.postcode(code) == code


@given(st.lists(st.sampled_from(["Mr", "Morwenna", "Jane", "Tresize", "Jr", "ap", "O'Neil"]), max_size=5))
def test_split_full_name_keeps_words(words):
    raw = " ".join(words)
    parts = [p for p in normalise.split_full_name(raw) if p]
    kept = " ".join(parts).split()
    # Every word kept comes from the input; nothing is invented.
    assert set(kept) <= {normalise.text(w) for w in words}


@pytest.mark.parametrize(("raw", "expected"), [
    ("Bristol, City of", "bristol"),
    ("Kingston upon Hull, City of", "kingston upon hull"),
    ("  West  Devon ", "west devon"),
    ("Stoke-on-Trent", "stoke on trent"),
    ("City of Edinburgh", "city of edinburgh"),
    ("Unknown", None),
    ("", None),
])
def test_place_of_birth(raw, expected):
    assert normalise.place(raw) == expected
