"""Danish municipality names and their detection in free text.

The list of all 98 municipalities lets the query analyser tell "a
municipality we hold no plan for" (-> abstain) from "no municipality named".
Names match case-insensitively with Danish genitive endings (Vejles,
Aarhus'); names that are also everyday words must be capitalised.

A document's publisher has a kind (``PUBLISHER_KINDS``): a current
municipality, a region (a beskæftigelsesregion), a national body (a
ministry, STAR), a historical municipality (before the 2007 reform) or
other. Only current municipalities are checked against the list here; a
name close to one ("Aarhuss") is most likely a typo of it
(``near_municipality``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import get_args

from .records import PublisherKind

ALL_MUNICIPALITIES = (
    "Albertslund",
    "Allerød",
    "Assens",
    "Ballerup",
    "Billund",
    "Bornholm",
    "Brøndby",
    "Brønderslev",
    "Dragør",
    "Egedal",
    "Esbjerg",
    "Fanø",
    "Favrskov",
    "Faxe",
    "Fredensborg",
    "Fredericia",
    "Frederiksberg",
    "Frederikshavn",
    "Frederikssund",
    "Furesø",
    "Faaborg-Midtfyn",
    "Gentofte",
    "Gladsaxe",
    "Glostrup",
    "Greve",
    "Gribskov",
    "Guldborgsund",
    "Haderslev",
    "Halsnæs",
    "Hedensted",
    "Helsingør",
    "Herlev",
    "Herning",
    "Hillerød",
    "Hjørring",
    "Holbæk",
    "Holstebro",
    "Horsens",
    "Hvidovre",
    "Høje-Taastrup",
    "Hørsholm",
    "Ikast-Brande",
    "Ishøj",
    "Jammerbugt",
    "Kalundborg",
    "Kerteminde",
    "Kolding",
    "København",
    "Køge",
    "Langeland",
    "Lejre",
    "Lemvig",
    "Lolland",
    "Lyngby-Taarbæk",
    "Læsø",
    "Mariagerfjord",
    "Middelfart",
    "Morsø",
    "Norddjurs",
    "Nordfyn",
    "Nyborg",
    "Næstved",
    "Odder",
    "Odense",
    "Odsherred",
    "Randers",
    "Rebild",
    "Ringkøbing-Skjern",
    "Ringsted",
    "Roskilde",
    "Rudersdal",
    "Rødovre",
    "Samsø",
    "Silkeborg",
    "Skanderborg",
    "Skive",
    "Slagelse",
    "Solrød",
    "Sorø",
    "Stevns",
    "Struer",
    "Svendborg",
    "Syddjurs",
    "Sønderborg",
    "Thisted",
    "Tønder",
    "Tårnby",
    "Vallensbæk",
    "Varde",
    "Vejen",
    "Vejle",
    "Vesthimmerland",
    "Viborg",
    "Vordingborg",
    "Ærø",
    "Aabenraa",
    "Aalborg",
    "Aarhus",
)

# Other spellings people type, mapped to the official name.
ALIASES = {
    "Århus": "Aarhus",
    "Ålborg": "Aalborg",
    "Åbenrå": "Aabenraa",
    "Copenhagen": "København",
    "Kobenhavn": "København",
    "Nordfyns": "Nordfyn",
    "Lyngby": "Lyngby-Taarbæk",
    "Taastrup": "Høje-Taastrup",
}

# Names that are also ordinary Danish words: only a capitalised mention counts.
_AMBIGUOUS = {"Greve", "Odder", "Skive", "Struer", "Faxe", "Varde", "Vejen", "Assens"}


@dataclass(frozen=True)
class Mention:
    name: str  # the canonical name it refers to
    start: int
    end: int


def _pattern(name: str, as_written: bool = False) -> re.Pattern[str]:
    flags = 0 if as_written or name in _AMBIGUOUS else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(name) + r"(?:s|'s|')?(?![\w-])", flags)


class MunicipalityMatcher:
    """Finds municipality names in text. ``names`` maps every surface form to
    the canonical name it stands for; the surfaces in ``as_written`` match
    only with their capitals (names that are also words: "Hals", "Ry")."""

    def __init__(self, names: dict[str, str], as_written: frozenset[str] = frozenset()):
        # Longest first so "Ikast-Brande" wins over a shorter overlapping name.
        self._patterns = [
            (_pattern(surface, surface in as_written), canonical)
            for surface, canonical in sorted(names.items(), key=lambda kv: -len(kv[0]))
        ]

    def find(self, text: str) -> list[Mention]:
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for pattern, canonical in self._patterns:
            for match in pattern.finditer(text):
                if any(a < match.end() and match.start() < b for a, b in taken):
                    continue
                taken.append((match.start(), match.end()))
                found.append(Mention(canonical, match.start(), match.end()))
        return sorted(found, key=lambda m: m.start)


def national_names() -> dict[str, str]:
    names = {name: name for name in ALL_MUNICIPALITIES}
    names.update(ALIASES)
    return names


PUBLISHER_KINDS: tuple[PublisherKind, ...] = get_args(PublisherKind)
_KOMMUNE = re.compile(r"(?i)\s+kommunes?$")
NEAR_MATCH = 0.8  # difflib ratio: "Aarhuss" 0.92, "Kobenhavns" 0.95, "Vejles" 0.91; "Hals"/"Halsnæs" 0.73


def without_kommune(name: str) -> str:
    """ "Sejlflod Kommune" -> "Sejlflod"."""
    return _KOMMUNE.sub("", name).strip()


def current_municipality(name: str) -> str | None:
    """The official name of the current municipality ``name`` names (any case, an alias, with or
    without "Kommune"), else None."""
    known = {surface.casefold(): canonical for surface, canonical in national_names().items()}
    return known.get(name.strip().casefold()) or known.get(without_kommune(name).casefold())


def near_municipality(name: str) -> str | None:
    """The current municipality ``name`` is most likely a misspelling of ("Aarhuss" -> "Aarhus",
    "Kobenhavns" -> "København"), else None. Not for a name that is one."""
    known = {surface.casefold(): canonical for surface, canonical in national_names().items()}
    close = difflib.get_close_matches(without_kommune(name).casefold(), list(known), n=1, cutoff=NEAR_MATCH)
    return known[close[0]] if close else None
