"""A national data wash, end to end (issue #5 §4): 300,000 workforce records against 1,000,000 records.

    python benchmarks/linkage_speed.py [--scale 1.0] [--engine duckdb|spark] [--model PATH] [--no-write]

1. Generates, with a fixed seed, a fictional workforce (names built from generic given names and made-up
   family names, birth dates, sex, force codes, collar numbers, ranks, appointment dates) and external
   records: some are workforce people as another system holds them (typos, nicknames, date slips, a move
   to another force with a new collar number and rank, names in any case), some are namesakes (another
   person sharing a workforce person's name), the rest other people. The generator keeps the truth.
   Generation is not timed.
2. Runs `forewarn link wash` on the two CSV files in a child process, as a user would: read and validate,
   normalise, load, train (unless --model), block, score, pick the best person per record, write. Wall time
   is the child's, from start to exit; peak memory is the child's process tree, sampled every 0.25 s, and the
   kernel's high-water mark of its largest process (DuckDB runs inside the Python process; Spark in a JVM
   below it).
3. Scores pairwise precision, recall and F1 of the (record, person) links written against the truth.
4. Appends a section to docs/benchmarks.md (or replaces this benchmark's section for the same engine and
   scale) with the machine, date, command and figures.

Everything runs offline. Generated files go to ./.tmp (git-ignored) and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national_scale import _machine  # noqa: E402 - after the path set-up

SEED = 2026
WORKFORCE = 300_000
RECORDS = 1_000_000
TARGET_SECONDS, TARGET_GB, TARGET_F1 = 60.0, 8.0, 0.98
# Shares of the external records: workforce people as others hold them, namesakes, other people.
SHARE_MATCHED, SHARE_NAMESAKES = 0.6, 0.1
DATE_FORMAT = "%d/%m/%Y"  # the records' dates; the workforce's are ISO (always accepted)
WORKFORCE_MAP = ("given_name=Forename,family_name=Surname,birth_date=DateOfBirth,sex=Sex,organisation=Force,"
                 "badge_number=CollarNo,rank=Rank,start_date=Joined")
RECORDS_MAP = ("given_name=GivenName,family_name=FamilyName,birth_date=DOB,sex=Gender,organisation=Organisation,"
               "badge_number=Badge,rank=Rank,start_date=StartDate")
WORKFORCE_HEADER = ["PersonRef", "Forename", "Surname", "DateOfBirth", "Sex", "Force", "CollarNo", "Rank", "Joined"]
RECORDS_HEADER = ["RecordRef", "GivenName", "FamilyName", "DOB", "Gender", "Organisation", "Badge", "Rank",
                  "StartDate"]
SECTION_TITLE = "## National data wash"

# Generic given names with their usual short forms (a nickname substitution picks one).
MALE = {
    "William": ["Bill", "Will", "Billy"], "Robert": ["Bob", "Rob"], "Richard": ["Dick", "Rich"],
    "James": ["Jim", "Jamie"], "Thomas": ["Tom", "Tommy"], "Michael": ["Mike", "Mick"], "Christopher": ["Chris"],
    "Daniel": ["Dan", "Danny"], "Matthew": ["Matt"], "Andrew": ["Andy", "Drew"], "Anthony": ["Tony"],
    "Joseph": ["Joe"], "Edward": ["Ed", "Ted", "Eddie"], "Stephen": ["Steve"], "Benjamin": ["Ben"],
    "Samuel": ["Sam"], "Alexander": ["Alex", "Sandy"], "Nicholas": ["Nick"], "Jonathan": ["Jon"],
    "Timothy": ["Tim"], "Peter": ["Pete"], "David": ["Dave"], "Charles": ["Charlie", "Chas"],
    "Patrick": ["Pat", "Paddy"], "Philip": ["Phil"], "Gregory": ["Greg"], "Lawrence": ["Larry"],
    "Raymond": ["Ray"], "Kenneth": ["Ken", "Kenny"], "Ronald": ["Ron"], "Donald": ["Don"], "Gerald": ["Gerry"],
    "Terence": ["Terry"], "Leonard": ["Len"], "Francis": ["Frank"], "Frederick": ["Fred"], "Albert": ["Bert"],
    "Douglas": ["Doug"], "Russell": ["Russ"], "Bradley": ["Brad"], "Nathan": ["Nate"], "Joshua": ["Josh"],
    "Jacob": ["Jake"], "Oliver": ["Ollie"], "Stuart": ["Stu"], "Harry": [], "Jack": [], "George": [], "Gareth": [],
    "Ian": [], "Neil": [], "Simon": [], "Mark": [], "Paul": [], "Adam": [], "Luke": [], "Ryan": [], "Craig": [],
    "Lee": [], "Gary": [], "Kevin": [], "Jason": [], "Darren": [], "Wayne": [], "Dean": [], "Scott": [],
    "Martin": [], "Graham": [], "Keith": [], "Colin": [], "Derek": [], "Trevor": [], "Nigel": [], "Barry": [],
    "Callum": [], "Connor": [], "Liam": [], "Kieran": [], "Jordan": [], "Owen": [], "Rhys": [], "Dylan": [],
    "Ethan": [], "Aaron": [], "Sean": [], "Howard": [], "Malcolm": [], "Vincent": ["Vince"],
}
FEMALE = {
    "Elizabeth": ["Liz", "Beth", "Lizzie"], "Margaret": ["Maggie", "Peggy"], "Catherine": ["Kate", "Cathy"],
    "Jennifer": ["Jen", "Jenny"], "Rebecca": ["Becky", "Becca"], "Victoria": ["Vicky", "Tori"],
    "Samantha": ["Sam"], "Susan": ["Sue"], "Deborah": ["Debbie", "Deb"], "Patricia": ["Pat", "Trish"],
    "Christine": ["Chris"], "Jacqueline": ["Jackie"], "Amanda": ["Mandy"], "Abigail": ["Abby"],
    "Natalie": ["Nat"], "Stephanie": ["Steph"], "Jessica": ["Jess"], "Charlotte": ["Charlie", "Lottie"],
    "Eleanor": ["Ellie", "Nell"], "Nicola": ["Nicky"], "Joanne": ["Jo"], "Louise": ["Lou"], "Danielle": ["Dani"],
    "Kimberley": ["Kim"], "Josephine": ["Josie", "Jo"], "Frances": ["Fran"], "Gillian": ["Gill"],
    "Philippa": ["Pippa"], "Penelope": ["Penny"], "Emily": ["Em"], "Olivia": ["Liv"], "Isabel": ["Izzy"],
    "Georgina": ["Georgie"], "Harriet": ["Hattie"], "Caroline": ["Carol"], "Angela": ["Angie"],
    "Pamela": ["Pam"], "Beverley": ["Bev"], "Alison": ["Ali"], "Helen": [], "Sarah": [], "Emma": [], "Laura": [],
    "Claire": [], "Rachel": [], "Lisa": [], "Karen": [], "Julie": [], "Tracey": [], "Michelle": [], "Kelly": [],
    "Gemma": [], "Hannah": [], "Lucy": [], "Amy": [], "Sophie": [], "Chloe": [], "Megan": [], "Lauren": [],
    "Anne": [], "Jane": [], "Mary": [], "Ruth": [], "Zoe": [], "Sandra": [], "Wendy": [], "Fiona": [],
    "Kirsty": [], "Leanne": [], "Stacey": [], "Jade": [], "Joanna": [], "Heather": [], "Yvonne": [],
    "Diane": [], "Paula": [], "Carly": [], "Natasha": ["Tash"], "Melanie": ["Mel"], "Teresa": ["Tess"],
}
# Family names are made up: a first part, an optional middle syllable and an ending (9,000 of them).
FAMILY_FIRST = ["Ash", "Black", "Brad", "Brook", "Bur", "Cart", "Chad", "Cole", "Cress", "Dal", "Dun", "Elm",
                "Fair", "Farn", "Fen", "Gar", "Glen", "Hal", "Har", "Hart", "Hay", "Heath", "Hol", "Kel",
                "Kings", "Lang", "Lock", "Marl", "Mer", "Mill", "Moor", "North", "Oak", "Pen", "Pres", "Ral",
                "Red", "Ros", "Rud", "Shel", "Stan", "Stock", "Thorn", "Tre", "Wal", "Wes", "Whit", "Wood",
                "Wyn", "Yar"]
FAMILY_MIDDLE = ["", "en", "ing", "er", "el", "an", "ings", "ow", "ar"]
FAMILY_END = ["by", "combe", "den", "ford", "gate", "ham", "hurst", "ley", "low", "more", "ridge", "shaw",
              "stone", "ton", "well", "wick", "worth", "field", "cott", "bury"]
FORCES = ["AS", "BD", "BTP", "CA", "CH", "CL", "CU", "DE", "DC", "DO", "DU", "DP", "EX", "GL", "GM", "GW", "HA",
          "HE", "HU", "KE", "LA", "LE", "LI", "ME", "MP", "NF", "NO", "NU", "NW", "NY", "SN", "ST", "SU", "SW",
          "SY", "TV", "WA", "WM", "WY", "WI", "NK", "CS", "MD"]
RANKS = ["Constable"] * 14 + ["Sergeant"] * 4 + ["Inspector"] * 2 + ["Chief Inspector", "Superintendent"]
PROMOTION = {"Constable": "Sergeant", "Sergeant": "Inspector", "Inspector": "Chief Inspector",
             "Chief Inspector": "Superintendent", "Superintendent": "Chief Superintendent"}


@dataclass(frozen=True)
class Person:
    ref: str
    given: str
    family: str
    birth: dt.date
    sex: str
    force: str
    collar: int
    rank: str
    joined: dt.date


@dataclass
class Generated:
    workforce: Path
    records: Path
    people: int
    records_written: int
    truth: dict[str, str]  # record ref -> person ref, for records that are workforce people
    kinds: dict[str, int] = field(default_factory=dict)  # how many records of each kind of variation


def _zipf_weights(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / (k ** s) for k in range(1, n + 1)))


class _Names:
    """Weighted draws of given names (by sex) and family names: a few common, a long tail."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        families = [f + m + e.lower() if m else f + e for f in FAMILY_FIRST for m in FAMILY_MIDDLE for e in FAMILY_END]
        families = [f[0] + f[1:].lower() for f in families]
        rng.shuffle(families)
        self.families = families
        self.family_weights = _zipf_weights(len(families), 0.6)
        self.given = {"M": list(MALE), "F": list(FEMALE)}
        for names in self.given.values():
            rng.shuffle(names)
        self.given_weights = {sex: _zipf_weights(len(names), 0.7) for sex, names in self.given.items()}

    def family(self) -> str:
        return self.rng.choices(self.families, cum_weights=self.family_weights)[0]

    def given_name(self, sex: str) -> str:
        return self.rng.choices(self.given[sex], cum_weights=self.given_weights[sex])[0]


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _person(rng: random.Random, names: _Names, ref: str, collars: dict[str, int], today: dt.date) -> Person:
    sex = "F" if rng.random() < 0.35 else "M"
    birth = _random_date(rng, dt.date(1962, 1, 1), dt.date(2005, 12, 31))
    earliest = birth.replace(year=birth.year + 18) if (birth.month, birth.day) != (2, 29) else dt.date(birth.year + 18, 3, 1)
    joined = _random_date(rng, max(earliest, dt.date(1985, 1, 1)), today - dt.timedelta(days=30))
    force = rng.choice(FORCES)
    collars[force] = collars.get(force, 0) + rng.randint(1, 3)
    return Person(ref=ref, given=names.given_name(sex), family=names.family(), birth=birth, sex=sex, force=force,
                  collar=collars[force], rank=rng.choice(RANKS), joined=joined)


def _typo(rng: random.Random, word: str) -> str:
    """One keying error: a letter changed, dropped, doubled, or two neighbours swapped."""
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + rng.choice("aeiourstlnm") + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _messy(rng: random.Random, name: str) -> str:
    style = rng.randrange(5)
    if style == 0:
        return name.upper()
    if style == 1:
        return f" {name.lower()}  "
    return name


def _slip(rng: random.Random, date: dt.date, kinds: dict[str, int]) -> dt.date:
    """A date slip: day and month swapped (when that is still a date), the year one out, or a digit wrong."""
    kind = rng.randrange(3)
    if kind == 0 and date.day <= 12 and date.day != date.month:
        kinds["birth date: day and month swapped"] = kinds.get("birth date: day and month swapped", 0) + 1
        return date.replace(day=date.month, month=date.day)
    if kind < 2:
        kinds["birth date: year one out"] = kinds.get("birth date: year one out", 0) + 1
        try:
            return date.replace(year=date.year + rng.choice((-1, 1)))
        except ValueError:
            return date.replace(day=28, year=date.year + 1)
    kinds["birth date: one digit wrong"] = kinds.get("birth date: one digit wrong", 0) + 1
    for _ in range(10):
        day = (date.day // 10) * 10 + rng.randrange(10)
        if day != date.day:
            try:
                return date.replace(day=day)
            except ValueError:
                continue
    return date.replace(year=date.year + 1)


def _count(kinds: dict[str, int], kind: str) -> None:
    kinds[kind] = kinds.get(kind, 0) + 1


def _record_of(rng: random.Random, person: Person, collars: dict[str, int], kinds: dict[str, int],
               today: dt.date) -> list[str]:
    """The person as another system holds them."""
    given, family = person.given, person.family
    nicknames = (MALE if person.sex == "M" else FEMALE)[given]
    roll = rng.random()
    if roll < 0.10 and nicknames:
        given = rng.choice(nicknames)
        _count(kinds, "given name: nickname")
    elif roll < 0.16:
        given = _typo(rng, given)
        _count(kinds, "given name: typo")
    elif roll < 0.18:
        given = given[0]
        _count(kinds, "given name: initial only")
    if rng.random() < 0.07:
        family = _typo(rng, family)
        _count(kinds, "family name: typo")
    birth = person.birth
    roll = rng.random()
    dob = birth.strftime("%d/%m/%Y")
    if roll < 0.09:
        dob = _slip(rng, birth, kinds).strftime("%d/%m/%Y")
    elif roll < 0.11:
        dob = ""
        _count(kinds, "birth date: missing")
    sex = "" if rng.random() < 0.05 else rng.choice(("Male", "M", "male")) if person.sex == "M" \
        else rng.choice(("Female", "F", "female"))
    force, collar, rank, joined = person.force, str(person.collar), person.rank, person.joined
    roll = rng.random()
    if roll < 0.25:
        # A move to another force: a new collar number, often a new rank, a new appointment date.
        force = rng.choice([f for f in FORCES if f != person.force])
        collars[force] = collars.get(force, 0) + rng.randint(1, 3)
        collar = str(collars[force])
        if rng.random() < 0.5:
            rank = PROMOTION[rank]
        joined = _random_date(rng, min(joined + dt.timedelta(days=365), today - dt.timedelta(days=1)), today)
        _count(kinds, "moved to another force")
    elif roll < 0.32:
        rank = PROMOTION[rank]
        _count(kinds, "promoted, same force")
    elif roll < 0.40:
        force = collar = rank = ""
        joined = None
        _count(kinds, "no career fields")
    if collar and rng.random() < 0.2:
        collar = collar.zfill(6)  # another system pads collar numbers
    return [_messy(rng, given), _messy(rng, family), dob, sex, force, collar, rank,
            joined.strftime("%d/%m/%Y") if joined else ""]


def _stranger(rng: random.Random, person: Person) -> list[str]:
    return [_messy(rng, person.given), _messy(rng, person.family), person.birth.strftime("%d/%m/%Y"),
            "Male" if person.sex == "M" else "Female", person.force, str(person.collar), person.rank,
            person.joined.strftime("%d/%m/%Y")]


def generate(folder: Path, *, scale: float = 1.0, seed: int = SEED, today: dt.date | None = None) -> Generated:
    """Write workforce.csv and records.csv into `folder`; the truth is returned, never written to them."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    names = _Names(rng)
    people_count, records_count = max(int(WORKFORCE * scale), 10), max(int(RECORDS * scale), 10)
    collars: dict[str, int] = {}
    people = [_person(rng, names, f"P{n:07d}", collars, today) for n in range(1, people_count + 1)]
    workforce = folder / "workforce.csv"
    with workforce.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(WORKFORCE_HEADER)
        for p in people:
            writer.writerow([p.ref, p.given, p.family, p.birth.isoformat(), p.sex, p.force, p.collar, p.rank,
                             p.joined.isoformat()])
    matched = int(records_count * SHARE_MATCHED)
    namesakes = int(records_count * SHARE_NAMESAKES)
    # Record refs are shuffled so a record's position says nothing about its kind.
    refs = [f"R{n:08d}" for n in range(1, records_count + 1)]
    rng.shuffle(refs)
    truth: dict[str, str] = {}
    kinds: dict[str, int] = {}
    rows: list[list[str]] = []
    for i in range(records_count):
        if i < matched:
            person = rng.choice(people)
            truth[refs[i]] = person.ref
            rows.append([refs[i], *_record_of(rng, person, collars, kinds, today)])
            continue
        other = _person(rng, names, "", collars, today)
        if i < matched + namesakes:
            # A namesake: another person with a workforce person's name, born on another day.
            model = rng.choice(people)
            other = Person(ref="", given=model.given, family=model.family, birth=other.birth, sex=model.sex,
                           force=other.force, collar=other.collar, rank=other.rank, joined=other.joined)
            if other.birth == model.birth:
                other = Person(**{**other.__dict__, "birth": other.birth + dt.timedelta(days=1)})
            _count(kinds, "namesake (not a match)")
        else:
            _count(kinds, "another person (not a match)")
        rows.append([refs[i], *_stranger(rng, other)])
    rows.sort(key=lambda row: row[0])
    records = folder / "records.csv"
    with records.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECORDS_HEADER)
        writer.writerows(rows)
    return Generated(workforce=workforce, records=records, people=people_count, records_written=records_count,
                     truth=truth, kinds=kinds)


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    links: int
    correct: int
    true_links: int


def score(matches: Path, truth: dict[str, str]) -> Scores:
    """Pairwise scores of the (record, person) links in `matches` against the generator's truth."""
    links = correct = 0
    with matches.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            links += 1
            correct += truth.get(row["record_id"]) == row["person_id"]
    precision = correct / links if links else 0.0
    recall = correct / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision=precision, recall=recall, f1=f1, links=links, correct=correct, true_links=len(truth))


class _MemorySampler(threading.Thread):
    """The largest resident memory of a process and its descendants, sampled every 0.25 s from /proc.

    A sample reads a few small files per thread: about 1 ms for a DuckDB wash, 12 ms for Spark's JVM and its
    hundred threads, so the sampler takes a few per cent of one core at most.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.25)


def _tree_rss(root: int) -> int:
    """Bytes resident in `root` and every process below it (found through /proc/PID/task/TID/children)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            for task in os.listdir(f"/proc/{pid}/task"):
                todo += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) * 1024 if match else 0
    return total


@dataclass
class Run:
    seconds: float
    tree_peak: int
    maxrss: int
    exit_code: int
    stdout: str
    stderr: str
    command: list[str]


def wash_command(generated: Generated, out: Path, *, engine: str, model: Path | None,
                 save_model: Path | None) -> list[str]:
    script = Path(sys.executable).with_name("forewarn")
    launcher = [str(script)] if script.exists() else [sys.executable, "-c", "from forewarn.cli import main; main()"]
    command = [*launcher, "link", "wash",
               "--workforce", str(generated.workforce), "--workforce-id", "PersonRef", "--workforce-map", WORKFORCE_MAP,
               "--records", str(generated.records), "--records-id", "RecordRef", "--records-map", RECORDS_MAP,
               "--date-format", DATE_FORMAT, "--engine", engine, "--timings", "--out", str(out)]
    if model:
        command += ["--model", str(model)]
    if save_model:
        command += ["--save-model", str(save_model)]
    return command


def run_wash(command: list[str], *, workdir: Path) -> Run:
    """Run the wash in a child process; its wall time and peak memory."""
    env = dict(os.environ, TMPDIR=str(workdir))
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    sampler = _MemorySampler(child.pid)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.monotonic() - started
    sampler.running = False
    sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
    return Run(seconds=seconds, tree_peak=sampler.peak, maxrss=maxrss, exit_code=child.returncode, stdout=stdout,
               stderr=stderr, command=command)


def _gb(value: int) -> str:
    return f"{value / 1024 ** 3:.2f} GB"


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def section(*, args, generated: Generated, run: Run, scores: Scores, peak: int, trained: bool,
            stages: str) -> str:
    today = dt.datetime.now(dt.UTC)
    scale_text = "" if args.scale == 1 else f" --scale {args.scale:g}"
    engine_text = "" if args.engine == "duckdb" else f" --engine {args.engine}"
    model_text = "" if trained else " --model MODEL.json"
    kinds = "; ".join(f"{kind} {count:,}" for kind, count in sorted(generated.kinds.items()))
    memory_limit = os.environ.get("FOREWARN_DUCKDB_MEMORY_LIMIT", "DuckDB's default, 80% of RAM")
    return f"""{SECTION_TITLE} — {args.engine}, {generated.people:,} workforce records against \
{generated.records_written:,} records ({today:%Y-%m-%d %H:%M} UTC)

- Machine: {_machine()}; load average before the run {_load_average()}.
- Command: `python benchmarks/linkage_speed.py{scale_text}{engine_text}{model_text}`; the timed part is
  `forewarn link wash … --date-format {DATE_FORMAT} --engine {args.engine}` in a child process:
  read and validate both files, normalise, load, {"train the model, " if trained else "a saved model (training not timed), "}block, score, pick the best person per record, write.
- Engine memory setting: {memory_limit if args.engine == "duckdb" else "Spark driver " + os.environ.get("FOREWARN_SPARK_DRIVER_MEMORY", "4g")}.
- Generated (seed {SEED}, not timed): {kinds}.
- Wash: {run.stdout.strip()}
- Stages (from the wash's own timing): {stages}

| measure | value | target |
|---|---|---|
| wall time, end to end | {run.seconds:.1f} s | ≤ {TARGET_SECONDS:.0f} s: {_verdict(run.seconds <= TARGET_SECONDS)} |
| peak memory (process tree, sampled every 0.25 s; the kernel's high-water mark of the wash's own process {_gb(run.maxrss)}) | {_gb(peak)} | ≤ {TARGET_GB:.0f} GB: {_verdict(peak <= TARGET_GB * 1024 ** 3)} |
| pairwise precision | {scores.precision:.4f} ({scores.correct:,} of {scores.links:,} links) | |
| pairwise recall | {scores.recall:.4f} ({scores.correct:,} of {scores.true_links:,} true links) | |
| pairwise F1 | **{scores.f1:.4f}** | ≥ {TARGET_F1}: {_verdict(scores.f1 >= TARGET_F1)} |
"""


def _load_average() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _stages(stderr: str) -> str:
    """The wash's own stage timings (its --timings line)."""
    found = [line.split("timing:", 1)[1].strip() for line in stderr.splitlines() if "timing:" in line]
    return "; ".join(found) if found else "not reported"


def write_section(output: Path, text: str, *, engine: str, people: int) -> None:
    """Replace this benchmark's section for the same engine and size, or append one at the end."""
    content = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    key = f"{SECTION_TITLE} — {engine}, {people:,} workforce records"
    lines = content.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(key)), None)
    if start is None:
        content = content.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        content = "".join(lines[:start]) + text + ("\n" + tail if tail else "")
    output.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 300,000 / 1,000,000 (e.g. 0.01)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--model", type=Path, default=None,
                        help="wash with this saved model (training then not timed); default: train in the run")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write it")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".tmp",
                        help="where the generated files go (deleted afterwards)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="linkage-speed-", dir=args.workdir) as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        generated = generate(folder, scale=args.scale)
        print(f"generated {generated.people:,} workforce records and {generated.records_written:,} records "
              f"in {time.monotonic() - started:.1f} s", flush=True)
        out = folder / "matches.csv"
        command = wash_command(generated, out, engine=args.engine, model=args.model, save_model=None)
        run = run_wash(command, workdir=folder)
        if run.exit_code != 0:
            print(run.stderr, file=sys.stderr)
            print(f"the wash failed (exit {run.exit_code})", file=sys.stderr)
            return 1
        scores = score(out, generated.truth)
        peak = max(run.tree_peak, run.maxrss)
        text = section(args=args, generated=generated, run=run, scores=scores, peak=peak,
                       trained=args.model is None, stages=_stages(run.stderr))
    print(text)
    if not args.no_write:
        write_section(args.output, text, engine=args.engine, people=generated.people)
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
