"""A seeded generator of messy, fictional officer records for the batch linkage tests.

Every name is made up from syllables. Each fictional person has one to three records, as separate
systems would hold them: names in any case with stray spaces and punctuation, a typo now and then,
collar numbers exported as "1234.0", dates as dd/mm/yyyy, and careers (a later record in another force,
with another rank, collar number and appointment date). Some people share a name (namesakes) but not
a birth date. The `Person` column is the truth and is never mapped.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HEADER = ["Ref", "Forename", "Middle", "Surname", "DOB", "Gender", "Force", "Collar", "Rank", "Joined", "Person"]
MAP = ("given_name=Forename,middle_name=Middle,family_name=Surname,birth_date=DOB,sex=Gender,"
       "organisation=Force,badge_number=Collar,rank=Rank,start_date=Joined")
DATE_FORMAT = "%d/%m/%Y"
FORCES = ["Kent Police", "Devon & Cornwall Police", "Thames Valley Police", "Merseyside Police",
          "West Mercia Police", "Dyfed-Powys Police"]
RANKS = ["Constable", "Sergeant", "Inspector", "Chief Inspector"]
SYLLABLES = ["tre", "pen", "hal", "mor", "wen", "bry", "cas", "dor", "vel", "lin", "quar", "fen", "gal", "rith",
             "ost", "mab", "zel", "orn", "ask", "bel"]
GIVEN = ["Aled", "Bryony", "Cerys", "Dafydd", "Eluned", "Fenella", "Gethin", "Hester", "Ianto", "Jessamy",
         "Kerensa", "Lowenna", "Morwenna", "Nye", "Osian", "Perran", "Rhiannon", "Seren", "Tamsin", "Wenna",
         "Idris", "Branwen", "Cadoc", "Elowen"]


def _family(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice("aeiourstln") + word[i + 1:]


def _messy(rng: random.Random, name: str) -> str:
    style = rng.randrange(4)
    if style == 0:
        return name.upper()
    if style == 1:
        return f"  {name.lower()} "
    if style == 2:
        return f"{name}."
    return name


def _date(day: int, month: int, year: int) -> str:
    return f"{day:02d}/{month:02d}/{year}"


def officers(seed: int = 7, people: int = 90) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    namesakes: list[tuple[str, str]] = []
    for person in range(people):
        if person % 15 == 14 and namesakes:
            given, family = namesakes[-1]  # a namesake of an earlier person, born on another day
        else:
            given, family = rng.choice(GIVEN), _family(rng)
            namesakes.append((given, family))
        middle = rng.choice(GIVEN)[0] if rng.random() < 0.5 else ""
        born = (rng.randint(1, 28), rng.randint(1, 12), rng.randint(1962, 1998))
        sex = "Female" if given in ("Bryony", "Cerys", "Eluned", "Fenella", "Hester", "Jessamy", "Kerensa",
                                    "Lowenna", "Morwenna", "Rhiannon", "Seren", "Tamsin", "Wenna", "Branwen",
                                    "Elowen") else "Male"
        force, collar, rank = rng.choice(FORCES), rng.randint(100, 9999), 0
        joined = born[2] + rng.randint(19, 28)
        for copy in range(rng.choice([1, 2, 2, 3])):
            if copy and rng.random() < 0.5:  # a career move: new force, rank, collar number and start
                force = rng.choice([f for f in FORCES if f != force])
                collar, rank = rng.randint(100, 9999), min(rank + 1, len(RANKS) - 1)
                joined += rng.randint(2, 6)
            forename = _typo(rng, given) if copy and rng.random() < 0.15 else given
            rows.append({
                "Ref": "",
                "Forename": _messy(rng, forename),
                "Middle": middle if rng.random() < 0.7 else "",
                "Surname": _messy(rng, family),
                "DOB": _date(*born) if rng.random() < 0.85 else "",
                "Gender": rng.choice([sex, sex[0], sex.upper()]),
                "Force": force if rng.random() < 0.5 else force.upper(),
                "Collar": f"{collar}.0" if rng.random() < 0.4 else str(collar),
                "Rank": RANKS[rank],
                "Joined": _date(rng.randint(1, 28), rng.randint(1, 12), joined),
                "Person": f"person-{person}",
            })
    rng.shuffle(rows)
    for number, row in enumerate(rows, start=1):
        row["Ref"] = f"R{number:04d}"
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def pairs(clusters: dict[str, str]) -> set[frozenset[str]]:
    """Every pair of record ids in one cluster (cluster id -> members via a record -> cluster map)."""
    members: dict[str, list[str]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, []).append(record)
    return {frozenset((a, b)) for group in members.values() for i, a in enumerate(group) for b in group[i + 1:]}


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)
