"""Field normalisation for linkage: one canonical form per field, shared by every input and the model.

The decision, agreed with the model (linkage/model.py) and binding on both sides:

- Canonical fields: given_name, middle_name, family_name, suffix, full_name, birth_date, birth_year, sex,
  postcode, birth_place, organisation, badge_number, rank, start_date, end_date; plus unique_id (string) and, for a
  link job, source_dataset. Missing is None (NULL in DuckDB/Spark), never "" or "unknown".
- Text (names, suffix, organisation, rank): lower-case, ASCII-folded (unidecode: "Zoë Ørsted" -> "zoe
  orsted"), apostrophes and full stops dropped ("O'Brien" -> "obrien", "St. John" -> "st john"), any
  other punctuation (hyphens, commas, slashes) becomes a space, whitespace collapsed.
- Placeholders count as missing: a name that is "unknown", "n/a", "police officer" and the like carries
  no identity and, left in, chains unrelated people together (issue #5 §3: Chicago rosters hold
  "POLICE OFFICER" as a name).
- Numbers exported through a spreadsheet arrive as "21565.0": any whole number written with a ".0"
  fraction becomes "21565" (ids, badge numbers, units, years).
- badge_number: upper-case letters and digits only; a number made only of digits loses leading zeros
  ("00457" -> "457": forces pad collar numbers to different widths).
- postcode: upper-case; a UK postcode gets one space before its inward code ("sw1a1aa" -> "SW1A 1AA", so
  the district is the part before the space); any other postcode loses its spaces.
- birth_place: as text; the ONS form of a local authority's name ("Bristol, City of") is the place alone
  ("bristol"); placeholders ("unknown", "n/a") are missing. Police nominal records (the PNC among them)
  hold a place of birth, and it separates namesakes that names and a date of birth cannot.
- sex: "M" or "F"; anything meaning unknown is None. An unrecognised value is implausible (warned).
- Dates: ISO date strings "YYYY-MM-DD" (birth_date, start_date, end_date); birth_year an int. A
  birth_date fills birth_year when the year is absent.
- full_name: when given_name and family_name are both absent on a row, full_name is split: "Family,
  Given Middle" or "Given Middle Family", with titles ("mr", "pc", "ds", ...) dropped and a trailing
  suffix ("jr", "iii") moved to suffix. full_name itself is kept, normalised, when mapped.

Everything here is pure and cached: the same surname appears thousands of times in a national file.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from unidecode import unidecode

CANONICAL_FIELDS = (
    "given_name", "middle_name", "family_name", "suffix", "full_name",
    "birth_date", "birth_year", "sex", "postcode", "birth_place", "organisation", "badge_number", "rank",
    "start_date", "end_date",
)
DATE_FIELDS = ("birth_date", "start_date", "end_date")
NAME_FIELDS = ("given_name", "middle_name", "family_name")
# The columns of a normalised frame, in order (source_dataset is added for a link job).
FRAME_COLUMNS = ("unique_id", *CANONICAL_FIELDS)


def frame_columns(*, with_source: bool) -> list[str]:
    return [*FRAME_COLUMNS, *(["source_dataset"] if with_source else [])]

EARLIEST_YEAR = 1900

# Whole words or phrases that carry no identity. Compared after normalisation.
# Single words that are real surnames ("Constable", "Sergeant") are placeholders only as a whole phrase.
PLACEHOLDER_NAMES = frozenset({
    "unknown", "unk", "not known", "nk", "n a", "na", "none", "null", "nil", "tbc", "tba", "x", "xx",
    "xxx", "officer", "police officer", "police constable", "police sergeant", "detective constable",
    "police staff", "redacted", "withheld", "not stated", "not given", "anonymous", "anon", "no name",
    "first name", "family name", "given name", "fnu", "lnu",
})
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "pc", "wpc", "ds", "dc", "dci",
    "di", "dsupt", "supt", "sgt", "ps", "insp", "ch", "cst", "pcso", "det", "officer",
})
SUFFIXES = frozenset({"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "v"})
SEX_WORDS = {
    "m": "M", "male": "M", "man": "M",
    "f": "F", "female": "F", "woman": "F", "w": "F",
}
SEX_UNKNOWN = frozenset({"", "u", "unknown", "not known", "nk", "n a", "na", "x", "other", "not stated",
                         "prefer not to say", "none", "null"})

_DROP = re.compile(r"['\u2019`.]")
_PUNCT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_WHOLE_FLOAT = re.compile(r"^([+-]?\d+)\.0*$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def whole_number(raw: str) -> str:
    """'21565.0' -> '21565'; anything else unchanged (already stripped)."""
    match = _WHOLE_FLOAT.match(raw)
    return match.group(1) if match else raw


@lru_cache(maxsize=200_000)
def text(raw: str) -> str | None:
    """Lower-case, ASCII-folded, punctuation-stripped, whitespace-collapsed text; None when empty."""
    if not raw:
        return None
    value = whole_number(raw.strip())
    value = unidecode(value).lower()
    value = _DROP.sub("", value)
    value = _PUNCT.sub(" ", value)
    value = _SPACES.sub(" ", value).strip()
    return value or None


def name(raw: str) -> str | None:
    """A name part: text(), with placeholders ('unknown', 'n/a', 'police officer') as missing."""
    value = text(raw)
    return None if value is None or value in PLACEHOLDER_NAMES else value


@lru_cache(maxsize=200_000)
def split_full_name(raw: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(given, middle, family, suffix) from one full-name string; None parts when absent."""
    if not raw or not raw.strip():
        return None, None, None, None
    family_first = "," in raw
    if family_first:
        family_raw, _, rest_raw = raw.partition(",")
        family_words = (text(family_raw) or "").split()
        rest = (text(rest_raw) or "").split()
    else:
        family_words = []
        rest = (text(raw) or "").split()
    while rest and rest[0] in TITLES:
        rest = rest[1:]
    suffix = None
    if rest and rest[-1] in SUFFIXES and len(rest) + len(family_words) > 2:
        suffix = rest.pop()
    if family_words and family_words[-1] in SUFFIXES and len(family_words) > 1:
        suffix = family_words.pop()
    if not family_first:
        if len(rest) >= 2:
            family_words, rest = [rest[-1]], rest[:-1]
        else:
            family_words, rest = rest, []
    given = rest[0] if rest else None
    middle = " ".join(rest[1:]) or None
    family = " ".join(family_words) or None
    if placeholder_name(given, family):
        return None, None, None, suffix
    return (_not_placeholder(given), _not_placeholder(middle), _not_placeholder(family), suffix)


def _not_placeholder(value: str | None) -> str | None:
    return None if value is None or value in PLACEHOLDER_NAMES else value


def placeholder_name(given: str | None, family: str | None) -> bool:
    """True when a given and family name together form a placeholder ('police' 'officer')."""
    joined = " ".join(part for part in (given, family) if part)
    return bool(joined) and joined in PLACEHOLDER_NAMES


def suffix(raw: str) -> str | None:
    """'Jr.' -> 'jr'; 'Junior' -> 'jr'."""
    value = text(raw)
    if value in ("jnr", "junior"):
        return "jr"
    if value in ("snr", "senior"):
        return "sr"
    return value


@lru_cache(maxsize=200_000)
def badge_number(raw: str) -> str | None:
    """Upper-case letters and digits; digits-only numbers lose leading zeros; '21565.0' -> '21565'."""
    value = re.sub(r"[^A-Z0-9]", "", whole_number(raw.strip()).upper())
    if value.isdigit():
        value = value.lstrip("0") or "0"
    return value or None


_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def postcode(raw: str) -> str | None:
    value = re.sub(r"[^A-Z0-9]", "", unidecode(raw).upper())
    match = _UK_POSTCODE.match(value)
    return f"{match.group(1)} {match.group(2)}" if match else value or None


# The Office for National Statistics names some local authorities "Bristol, City of" or "Herefordshire,
# County of"; the place is the part before the comma.
_ONS_SUFFIX = re.compile(r",\s*(city|county) of\s*$", re.IGNORECASE)


@lru_cache(maxsize=200_000)
def place(raw: str) -> str | None:
    """A place of birth: text(), with the ONS form "Bristol, City of" as "bristol"; placeholders missing."""
    value = text(_ONS_SUFFIX.sub("", raw))
    return None if value is None or value in PLACEHOLDER_NAMES else value


def sex(raw: str) -> tuple[str | None, bool]:
    """('M'|'F'|None, recognised). Unknown-type words are recognised and give None."""
    value = text(raw) or ""
    if value in SEX_WORDS:
        return SEX_WORDS[value], True
    return None, value in SEX_UNKNOWN


def unique_id(raw: str) -> str:
    """Ids keep their text; surrounding spaces go and a spreadsheet's '123.0' becomes '123'."""
    return whole_number(raw.strip())


class DateParser:
    """Parses dates in one format (and ISO), caching: a national file repeats appointment dates often."""

    def __init__(self, date_format: str | None):
        self.date_format = date_format
        self._parse_cached = lru_cache(maxsize=100_000)(self._parse)

    def parse(self, raw: str) -> dt.date:
        """The date; ValueError when the value is neither in the given format nor ISO."""
        value = self._parse_cached(raw)
        if value is None:
            raise ValueError(raw)
        return value

    def _parse(self, raw: str) -> dt.date | None:
        if self.date_format:
            try:
                return dt.datetime.strptime(raw, self.date_format).date()
            except ValueError:
                pass
        match = _ISO_DATE.match(raw)
        if match:
            try:
                return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return None
        return None


def year(raw: str) -> int:
    """A year written as '1975' or '1975.0'; ValueError otherwise."""
    value = whole_number(raw.strip())
    if not re.fullmatch(r"\d{4}", value):
        raise ValueError(raw)
    return int(value)
