"""Danish municipality names and their detection in free text.

The list of all 98 municipalities lets the query analyser tell "a
municipality we hold no plan for" (-> abstain) from "no municipality named".
Names match case-insensitively with Danish genitive endings (Vejles,
Aarhus'); names that are also everyday words must be capitalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def _pattern(name: str) -> re.Pattern[str]:
    flags = 0 if name in _AMBIGUOUS else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(name) + r"(?:s|'s|')?(?![\w-])", flags)


class MunicipalityMatcher:
    """Finds municipality names in text. ``names`` maps every surface form to
    the canonical name it stands for."""

    def __init__(self, names: dict[str, str]):
        # Longest first so "Ikast-Brande" wins over a shorter overlapping name.
        self._patterns = [
            (_pattern(surface), canonical) for surface, canonical in sorted(names.items(), key=lambda kv: -len(kv[0]))
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
