"""A synthetic corpus for scale tests: N plans made from the 5 seed documents.

    .venv/bin/python bench/synth.py --plans 50 --out /tmp/synth-50 [--seed 7] [--municipalities 98]

Each synthetic plan is one seed document (corpus/manifest.json) rewritten
three ways, the same way everywhere (text, title, questions, quotes):

- **names**: the seed's municipality (``Jammerbugt``, ``Jammerbugts``,
  ``Jammerbugt Kommune``, ``JAMMERBUGT``, ``fredericianere``; the region's
  ``Hovedstaden & Sjælland``) becomes a fictional Danish-sounding name, none
  of which is one of the 98 real municipalities, an alias, or a word of the
  seed texts;
- **years**: every year (and ``2020-23`` ranges) is shifted by one offset per
  plan, so each plan covers its own years between 2010 and ~2031; a
  municipality's plans never cover the same year (one plan per municipality
  and year, as uploads require);
- **numbers**: the figures of the target sentences listed in ``SEEDS`` (228
  langtidsledige, "3,7 mio. kr.", "10%") are scaled by one factor per plan,
  every occurrence of the same figure alike (Jammerbugt restates its targets
  in an annex), so each answer is a number only that plan states.

Plans are dealt round-robin to ``min(N, --municipalities)`` fictional
municipalities (default 98, as in Denmark): up to 98 plans each municipality
has one plan, beyond that each gets more years, as when users load every
municipality's plans for ten years. Region-derived plans (the 2010 regional
guidance) are attributed to the fictional municipality too, with
``Beskæftigelsesregion <Name>`` as publisher and alias.

Writes ``OUT/manifest.json`` (the schema of corpus/manifest.json), one
``OUT/<doc_id>.txt`` per plan and ``OUT/questions.jsonl`` in the evals
format (evals/README.md): one question per stated figure per plan, each
naming the municipality and one year the plan covers, ``expected`` the
scaled figure, ``gold_quote`` the rewritten sentence. Question ids are
``<doc_id>/<fact>``. Everything is a pure function of (plans,
municipalities, seed): the same arguments write the same bytes. Generation
checks itself: every gold quote is a substring of one line of its plan and
every expected figure occurs in the plan, or it raises.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make planchat importable
    sys.path.insert(0, str(REPO_ROOT))

from planchat.municipalities import ALIASES, ALL_MUNICIPALITIES  # noqa: E402

SEED_CORPUS = REPO_ROOT / "corpus"
FIRST_YEAR, LAST_YEAR = 2010, 2030
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?:-(\d\d))?(?!\d)")  # planchat's year range; "2020-23"
_NO_DIGIT_BEFORE = r"(?<![\d.,])"


# -- what is rewritten in each seed -----------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One figure of a seed: ``pattern`` matches the number itself (with look-arounds
    that pin it to its sentence); ``kind`` says how a scaled value is written."""

    number: str  # as the seed writes it
    pattern: str
    kind: str = "int"  # int | dec (one decimal, comma) | pct (int ≤ 99) | rank (int ≥ 1)


@dataclass(frozen=True)
class Fact:
    """A question written in the seed's own names and years (rewritten like the
    text); ``expected`` spellings name the answer's figures as ``{slot}``."""

    id: str
    question: str
    expected: tuple[tuple[str, ...], ...]
    gold: str


@dataclass(frozen=True)
class Seed:
    doc_id: str
    names: tuple[tuple[str, str], ...]  # (regex on the seed text, replacement template with {name}/{gen}/{NAME})
    slots: dict = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    aliases: tuple[str, ...] = ("Jobcenter {name}",)


def _name_rules(seed_name: str, extra: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    n = re.escape(seed_name)
    return extra + (
        (rf"(?<![\w-]){n}s(?![\w-])", "{gen}"),
        (rf"(?<![\w-]){n}(?![\w-])", "{name}"),
        (rf"(?<![\w-]){re.escape(seed_name.upper())}(?![\w-])", "{NAME}"),
    )


def _after(number: str, lookahead: str, kind: str = "int") -> Slot:
    return Slot(number, _NO_DIGIT_BEFORE + re.escape(number) + rf"(?={lookahead})", kind)


def _before(lookbehind: str, number: str, kind: str = "int", lookahead: str = r"(?![\d,])") -> Slot:
    return Slot(number, rf"(?<={lookbehind})" + re.escape(number) + lookahead, kind)


SEEDS: dict[str, Seed] = {
    s.doc_id: s
    for s in (
        Seed(
            "jammerbugt-2014",
            _name_rules("Jammerbugt"),
            {
                "langtid": _after("228", r"\s+personer"),
                "langtid_fald": _after("20", r"\s+pct\.\s+fra", "pct"),
                "fp": _after("36", r"\s+personer"),
                "fp_fald": _after("66", r"\s+pct", "pct"),
                "udd": _after("24", r"\s+pct\.,\s+svt", "pct"),
                "udd_stig": _after("7,1", r"\s+procentpoint", "dec"),
                "kth": _after("660", r"\s+kontanthjælpsmodtagere"),
                "sdp_over": _after("65", r"\s+sygedagpengesager"),
                "sdp_under": _after("400", r"\s+sygedagpengesager"),
                "fleks": _after("580", r"\s+fleksjobbevillinger"),
                "lyd": _before("udgøre maksimalt ", "94"),
                "reva_min": _after("100", r"\s+igangværende"),
                "reva_max": _before("dog maksimalt ", "175"),
            },
            (
                Fact(
                    "langtidsledige",
                    "Hvor mange langtidsledige må der højst være i Jammerbugt i december 2014?",
                    (("{langtid} personer",),),
                    "skal begrænses til 228 personer (antal personer) i december 2014",
                ),
                Fact(
                    "foertidspension",
                    "Hvor mange nye førtidspensioner må der højst tilkendes i Jammerbugt i 2014?",
                    (("{fp} personer",),),
                    "Tilgangen til førtidspension skal begrænses til 36 personer i december 2014",
                ),
                Fact(
                    "foertidspension-fald",
                    "Hvor stort et fald i tilgangen til førtidspension svarer Jammerbugts mål for 2014 til?",
                    (("{fp_fald} pct",),),
                    "svt. et fald på 66 pct. fra december 2012 til december 2014",
                ),
                Fact(
                    "kontanthjaelp",
                    "Hvor mange kontanthjælpsmodtagere forventer Jammerbugt maksimalt i 2014?",
                    (("{kth} kontanthjælpsmodtagere",),),
                    "Der forventes gennemsnitligt at være maksimalt 660 kontanthjælpsmodtagere.",
                ),
                Fact(
                    "uddannelsesgrad",
                    "Hvor høj skal uddannelsesgraden for unge uden uddannelse være i Jammerbugt i december 2014?",
                    (("{udd} pct",),),
                    "skal i december 2014 (år til dato) være på 24 pct., svt. en stigning på 7,1 procentpoint",
                ),
                Fact(
                    "sygedagpenge-over-52",
                    "Hvor mange sygedagpengesager med en varighed på over 52 uger forventer Jammerbugt højst i 2014?",
                    (("{sdp_over} sygedagpengesager",),),
                    "maksimalt 65 sygedagpengesager med en varighed på over 52 uger",
                ),
                Fact(
                    "sygedagpenge-under-52",
                    "Hvad er Jammerbugts resultatkrav for 2014 for sygedagpengesager med en varighed på under 52 uger?",
                    (("{sdp_under} sygedagpengesager",),),
                    "maksimalt 400 sygedagpengesager med en varighed på under 52 uger",
                ),
                Fact(
                    "fleksjob",
                    "Hvor mange fleksjobbevillinger forventer Jammerbugt i 2014?",
                    (("{fleks} fleksjobbevillinger",),),
                    "maksimalt 580 fleksjobbevillinger",
                ),
                Fact(
                    "ledighedsydelse",
                    "Hvor mange ledighedsydelsessager forventer Jammerbugt højst i 2014?",
                    (("maksimalt {lyd}",),),
                    "ledighedsydelsessager gennemsnitligt at udgøre maksimalt 94",
                ),
                Fact(
                    "revalidering",
                    "Hvor mange igangværende revalideringsbevillinger skal Jammerbugt have i 2014?",
                    (("minimum {reva_min}",), ("maksimalt {reva_max}",)),
                    "minimum 100 igangværende revalideringsbevillinger, dog maksimalt 175",
                ),
            ),
        ),
        Seed(
            "fredericia-2023",
            _name_rules("Fredericia", ((r"(?<![\w-])fredericianere(?![\w-])", "borgere i {name}"),)),
            {
                "besp22": _after("3,7", r"\s+mio", "dec"),
                "besp23": _after("7,0", r"\s+mio", "dec"),
                "besp24": _after("11", r"\s+mio"),
                "mangler23": _after("2,7", r"\s+mio", "dec"),
                "mangler24": _after("3,8", r"\s+mio", "dec"),
                "aktiv": _before("mindre end ", "30", "pct", r"(?=%)"),
                "samtaler": _before("mindre end ", "20", "pct", r"(?=%)"),
                "kth": _before("Kontanthjælp ", "706"),
                "sdp": _before("Sygedagpenge ", "727"),
            },
            (
                Fact(
                    "besparelse",
                    "Hvor store besparelser skal beskæftigelsesområdet i Fredericia lave i 2023 på grund af retten til tidlig pension?",
                    (("{besp23} mio",),),
                    "besparelser for 3,7 mio. kr. i 2022, 7,0 mio. kr. i 2023",
                ),
                Fact(
                    "manglende-finansiering",
                    "Hvor meget mangler Fredericia at finde finansiering til i 2023 for anden delaftale om tidlig pension?",
                    (("{mangler23} mio",),),
                    "svarer til 2,7 mio. kr. i 2023 og frem, og",
                ),
                Fact(
                    "fokusmaal-aktiv",
                    "Hvad er Fredericias fokusmål for aktiv indsats i 2023?",
                    (("{aktiv}%",),),
                    "måneder skal være mindre end 30%.",
                ),
                Fact(
                    "fokusmaal-samtaler",
                    "Hvad er Fredericias fokusmål for samtaler med borgerne i 2023?",
                    (("{samtaler}%",),),
                    "være mindre end 20%.",
                ),
                Fact(
                    "kontanthjaelp-tabel",
                    "Hvor mange fuldtidspersoner var på kontanthjælp i Fredericia ifølge beskæftigelsesplanen for 2023?",
                    (("{kth}",),),
                    "Kontanthjælp 706 -19,2% -18,8% 2,1 1,3",
                ),
                Fact(
                    "sygedagpenge-tabel",
                    "Hvor mange fuldtidspersoner modtog sygedagpenge i Fredericia ifølge beskæftigelsesplanen for 2023?",
                    (("{sdp}",),),
                    "Sygedagpenge 727 -20,7% -20,0% 2,3 2,0",
                ),
            ),
        ),
        Seed(
            "rebild-2022",
            _name_rules("Rebild"),
            {
                "fleks": _before("reduceres til ", "10", "pct", r"(?=%)"),
                "flygt": _before("er mindst ", "50", "pct", r"(?=%)"),
            },
            (
                Fact(
                    "fleksjob-ledighed",
                    "Hvad er Rebilds mål for ledigheden blandt fleksjobbere i 2022?",
                    (("{fleks}%",),),
                    "ledigheden for fleksjobbere skal reduceres til 10%",
                ),
                Fact(
                    "flygtninge",
                    "Hvor stor skal andelen af beskæftigede flygtninge og familiesammenførte være i Rebild ved udgangen af 2022?",
                    (("{flygt}%",),),
                    "ved udgangen af 2022 er mindst 50%",
                ),
            ),
        ),
        Seed(
            "vejle-2020-23",
            _name_rules("Vejle"),
            {
                "timer": _after("24", r"\s+timer"),
                "top": _before("top ", "20", "rank"),
            },
            (
                Fact(
                    "jobaabninger",
                    "Inden for hvor mange timer svarer Jobcenter Vejle på henvendelser om konkrete jobåbninger i 2022?",
                    (("{timer} timer",),),
                    "Jobcenter Vejle responderer på henvendelse om konkrete jobåbninger inden for 24 timer",
                ),
                Fact(
                    "rangliste",
                    "Hvilken placering på beskæftigelsesministeriets rangliste sigter Vejle mod i 2022?",
                    (("top {top}",),),
                    "kontinuerlig forbedring frem mod top 20 blandt alle landets kommuner",
                ),
            ),
        ),
        Seed(
            "region-hovedstaden-sjaelland-2010",
            ((r"Hovedstaden & Sjælland", "{name}"),),
            {"dage": _after("14", r"\s+dage")},
            (
                Fact(
                    "samtale-unge",
                    "Inden for hvor mange dage efter tilmelding kan unge under 30 år få en samtale ifølge "
                    "Beskæftigelsesregion Hovedstaden & Sjælland i 2010?",
                    (("{dage} dage",),),
                    "afholdelse af samtale med unge under 30 år inden for 14 dage efter tilmelding",
                ),
                Fact(
                    "frist",
                    "Hvornår anbefaler Beskæftigelsesregion Hovedstaden & Sjælland, at udmøntningsplanen for 2011 er udarbejdet?",
                    (("udgangen af 2010",), ("1. januar 2011",)),
                    "Det anbefales, at den er udarbejdet inden udgangen af 2010",
                ),
            ),
            aliases=("Beskæftigelsesregion {name}",),
        ),
    )
}


# -- fictional names --------------------------------------------------------------
_FIRST = (
    "Vester", "Øster", "Nørre", "Sønder", "Lille", "Store", "Hede", "Mose", "Skov", "Bøge", "Ege", "Hassel",
    "Ravns", "Ulv", "Hjorte", "Falke", "Trane", "Rosen", "Lunde", "Birke", "Elle", "Aske", "Lyng", "Kilde",
    "Strand", "Bakke", "Dalby", "Holme", "Sol", "Mølle", "Kirke", "Hvide", "Sorte", "Grøn", "Ådal", "Egholt",
    "Fjord", "Klint", "Ørne", "Hulse",
)  # fmt: skip
_LAST = (
    "å", "mark", "lunde", "bjerg", "holm", "sted", "rup", "havn", "by", "løse", "bæk", "hede", "dal", "skov",
    "strup", "inge", "lev", "borg", "toft", "gård", "vig", "næs", "ager", "sø", "bro", "høj", "kær", "lund",
    "holt", "ting",
)  # fmt: skip


_VOWELS = set("aeiouyæøå")


def _seed_vocabulary() -> set[str]:
    words: set[str] = set()
    for path in SEED_CORPUS.glob("*.txt"):
        words |= {w.casefold() for w in re.findall(r"[^\W\d_]+", path.read_text(encoding="utf-8"))}
    return words


def fictional_names(count: int, seed: int) -> list[str]:
    """``count`` distinct, deterministic names: first + last syllable, none a real
    municipality or alias, none a word of the seed corpus, none ending in s/x/z
    (Danish genitive then takes an apostrophe) and none the genitive of another."""
    real = {n.casefold() for n in (*ALL_MUNICIPALITIES, *ALIASES)}
    vocabulary = _seed_vocabulary()
    candidates = []
    for first in _FIRST:
        for last in _LAST:
            if last in first.lower():
                continue  # "Skovskov"
            if first[-1] in _VOWELS and last[0] in _VOWELS:
                continue  # "Egeå", "Lundeinge"
            name = first + (last[1:] if first[-1] == last[0] else last)
            key = name.casefold()
            if key in real or key in vocabulary or name[-1] in "sxz" or re.search(r"(.)\1\1", key):
                continue
            candidates.append(name)
    candidates = sorted(set(candidates))
    keys = {c.casefold() for c in candidates}
    candidates = [c for c in candidates if not (c.casefold().endswith("s") and c.casefold()[:-1] in keys)]
    if count > len(candidates):
        raise ValueError(f"only {len(candidates)} fictional names are available; asked for {count}")
    random.Random(f"names:{seed}").shuffle(candidates)
    return candidates[:count]


def genitive(name: str) -> str:
    return name + ("'" if name[-1] in "sxz" else "s")


def slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})
    return re.sub(r"[^a-z0-9]+", "-", name.lower().translate(table)).strip("-")


# -- numbers ----------------------------------------------------------------------
def plan_factor(seed: int, index: int) -> float:
    """One scale factor per plan, away from 1 so every figure changes."""
    rng = random.Random(f"factor:{seed}:{index}")
    return rng.uniform(0.45, 0.9) if rng.random() < 0.5 else rng.uniform(1.12, 1.9)


def scaled(text: str, kind: str, factor: float) -> str:
    """``text`` (a Danish-written number) times ``factor``, written the same way."""
    if kind == "dec":
        old = float(text.replace(",", "."))
        new = round(old * factor, 1)
        if new == old or new <= 0:
            new = round(old + 0.3, 1)
        return f"{new:.1f}".replace(".", ",")
    old = int(text.replace(".", ""))
    new = max(1, round(old * factor))
    if kind == "pct":
        new = min(new, 99)
    if new == old:
        new = old + 1 if old < 99 or kind != "pct" else old - 1
    if 1980 <= new <= 2049:  # would read as a year
        new = 2050
    grouped = f"{new:,}".replace(",", ".") if "." in text or new >= 10_000 else str(new)
    return grouped


# -- one plan ---------------------------------------------------------------------
@dataclass
class Plan:
    index: int
    seed: dict  # the seed's manifest entry
    name: str
    delta: int  # years added
    factor: float

    @property
    def spec(self) -> Seed:
        return SEEDS[self.seed["id"]]

    @property
    def year(self) -> int:
        return self.seed["year"] + self.delta

    @property
    def years(self) -> list[int]:
        return sorted({y + self.delta for y in (self.seed.get("years") or [])} | {self.year})

    @property
    def doc_id(self) -> str:
        kind = "region" if self.seed.get("kind") == "regional guidance" else "plan"
        return f"{slug(self.name)}-{kind}-{self.year}"

    def values(self) -> dict[str, str]:
        """Each figure of the seed as this plan writes it."""
        return {key: scaled(slot.number, slot.kind, self.factor) for key, slot in self.spec.slots.items()}

    def rewrite(self, text: str, *, figures: bool = True) -> str:
        """Years, then figures, then names: the same function for text, titles,
        questions and gold quotes."""

        def shift(m: re.Match) -> str:
            year = int(m.group(1)) + self.delta
            if m.group(2) is None:
                return str(year)
            end = int(m.group(1)[:2] + m.group(2)) + self.delta
            return f"{year}-{end % 100:02d}"

        text = _YEAR.sub(shift, text)
        if figures:
            # One pass over the text for all figures, so a new value is never
            # taken for another figure's old one (2,7 x 1,37 = 3,7).
            values = self.values()
            edits = sorted(
                (m.start(), m.end(), values[key])
                for key, slot in self.spec.slots.items()
                for m in re.finditer(slot.pattern, text)
            )
            for (_, end, _), (start, _, _) in zip(edits, edits[1:]):
                if start < end:
                    raise AssertionError(f"{self.seed['id']}: two figure patterns overlap at {start}")
            for start, end, value in reversed(edits):
                text = text[:start] + value + text[end:]
        names = {"name": self.name, "gen": genitive(self.name), "NAME": self.name.upper()}
        for pattern, template in self.spec.names:
            text = re.sub(pattern, template.format(**names), text)
        return text

    def manifest_entry(self) -> dict:
        s = self.seed
        publisher = s.get("publisher") or s["municipality"]
        if s.get("kind") == "regional guidance":
            publisher = f"Beskæftigelsesregion {self.name}"
        else:
            publisher = self.rewrite(publisher)
        return {
            "id": self.doc_id,
            "file": f"{self.doc_id}.txt",
            "municipality": self.name,
            "publisher": publisher,
            "year": self.year,
            "years": self.years,
            "title": self.rewrite(s["title"]),
            "kind": s.get("kind", "municipal plan"),
            "aliases": [a.format(name=self.name) for a in self.spec.aliases],
            "seed": s.get("seed", ""),
            "derived_from": s["id"],
        }

    def questions(self, text: str) -> list[dict]:
        lines = text.splitlines()
        flat = re.sub(r"\s+", " ", text).casefold()
        out = []
        for fact in self.spec.facts:
            gold = self.rewrite(fact.gold)
            if not any(gold in line for line in lines):
                raise AssertionError(f"{self.doc_id}/{fact.id}: gold quote {gold!r} is not on one line of the plan")
            values = self.values()
            expected = [
                [self.rewrite(s.format(**values), figures=False) for s in spellings] for spellings in fact.expected
            ]
            for spellings in expected:
                if not any(re.sub(r"\s+", " ", s).casefold() in flat for s in spellings):
                    raise AssertionError(f"{self.doc_id}/{fact.id}: expected {spellings} does not occur in the plan")
            for spellings in fact.expected:
                for s in spellings:
                    for key in re.findall(r"\{(\w+)\}", s):
                        if values[key] == self.spec.slots[key].number:
                            raise AssertionError(f"{self.doc_id}/{fact.id}: figure {key} was not changed")
            out.append({
                "id": f"{self.doc_id}/{fact.id}",
                "question": self.rewrite(fact.question),
                "expected": expected,
                "municipalities": [self.name],
                "expect_abstain": False,
                "tags": ["number", "synthetic", self.seed["id"]],
                "gold_quote": gold,
            })  # fmt: skip
        return out


def layout(plans: int, municipalities: int, seed: int, seeds: list[dict]) -> list[Plan]:
    """Deal plans round-robin over the municipalities (seed i % 5 for plan i), then
    lay each municipality's plans end to end in time so no two cover the same year."""
    count = min(plans, municipalities)
    names = fictional_names(count, seed)
    by_muni: dict[int, list[int]] = {}
    for i in range(plans):
        by_muni.setdefault(i % count, []).append(i)
    out: list[Plan] = []
    for m, indices in sorted(by_muni.items()):
        spans = []
        for i in indices:
            years = seeds[i % len(seeds)].get("years") or [seeds[i % len(seeds)]["year"]]
            spans.append(max(years) - min(years) + 1)
        room = (LAST_YEAR - FIRST_YEAR + 1) - sum(spans)
        cursor = FIRST_YEAR + (random.Random(f"start:{seed}:{m}").randint(0, room) if room > 0 else 0)
        for i, span in zip(indices, spans):
            s = seeds[i % len(seeds)]
            first = min(s.get("years") or [s["year"]])
            out.append(Plan(i, s, names[m], cursor - first, plan_factor(seed, i)))
            cursor += span
    return sorted(out, key=lambda p: p.index)


def generate(out: Path, plans: int, *, seed: int = 7, municipalities: int = 98, corpus: Path = SEED_CORPUS) -> dict:
    """Write the synthetic corpus and its questions; returns a summary."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    unknown = [d["id"] for d in manifest if d["id"] not in SEEDS]
    if unknown:
        raise ValueError(f"no rewrite rules for seed document(s) {unknown}; add them to SEEDS in bench/synth.py")
    texts = {d["id"]: (corpus / d["file"]).read_text(encoding="utf-8") for d in manifest}
    out.mkdir(parents=True, exist_ok=True)
    entries, questions = [], []
    for plan in layout(plans, municipalities, seed, manifest):
        text = plan.rewrite(texts[plan.seed["id"]])
        entry = plan.manifest_entry()
        (out / entry["file"]).write_text(text, encoding="utf-8")
        entries.append(entry)
        questions.extend(plan.questions(text))
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise AssertionError("two synthetic plans got the same id")
    (out / "manifest.json").write_text(
        json.dumps({"documents": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    years = [y for e in entries for y in e["years"]]
    return {
        "plans": len(entries),
        "municipalities": len({e["municipality"] for e in entries}),
        "questions": len(questions),
        "years": [min(years), max(years)],
        "seed": seed,
        "out": str(out),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, required=True, help="how many plans to write")
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for manifest.json, the plans and questions.jsonl"
    )
    parser.add_argument("--seed", type=int, default=7, help="names, years and figures follow from it (default 7)")
    parser.add_argument("--municipalities", type=int, default=98, help="most fictional municipalities (default 98)")
    args = parser.parse_args(argv)
    if args.plans < 1:
        parser.error("--plans must be at least 1")
    print(
        json.dumps(
            generate(args.out, args.plans, seed=args.seed, municipalities=args.municipalities), ensure_ascii=False
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
