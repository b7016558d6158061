"""Is the asked slot filled? A question that asks for a figure, a date or a
frequency is answered only by a quote that holds one; otherwise the plan
discusses the topic but does not state the asked fact, and the honest
answer says so (the nearest passages are shown as see-also).

The slots (``slot_of``):
- "percent": "Hvor mange procent …", "Hvor stor en andel …", "What share …"
  need a percentage or a fraction («50%», «24 pct», «halvdelen»);
- "money": "Hvor mange penge …", "How much money …", a budget, a saving
  need an amount in kroner («7,0 mio. kr.»);
- "score": "Hvor tilfredse …", "Hvor godt …" need a measured level in
  digits («4,2», «85 %»), not a count in words;
- "quantity": any other "Hvor mange …", "Hvor meget …", "How many …" needs
  a figure other than a year (digits or a Danish number word; «Covid-19» is
  a name, «2-årige» counts only when the question asks about years, and a
  list number run into the sentence, «… langtidsledighed 2.», is none);
- "duration": "Hvor længe …", "How long …" need a length of time («tre
  måneder», «24 timer») or the date it runs to («indtil udgangen af 2021»);
- "frequency": "Hvor ofte …" needs a frequency («to gange om året»,
  «halvårligt») in a sentence that is not itself a question;
- "date": "Hvornår …" needs a date, a period or a year («december 2020»,
  «i løbet af 2021»); "Hvornår i forløbet …" asks for a phase and has no
  date slot.

Before abstaining, the answerer looks for the best sentences of the same
passages that do fill the slot (``ExtractiveAnswerer.answer_filling``):
the "when" sentence with the date rather than the one that shares the
question's words.
"""

from __future__ import annotations

import re

from planchat.danish import numbers_in
from planchat.records import Answer, AnswerKind

from .query import Query

_QUANTITY = re.compile(
    r"(?i)\b(hvor mange|hvor stor(?:t|e)?(?: en)? (?:andel|del|budget|beløb)|hvor meget|hvor høj|hvor lav|"
    r"hvor mange procent|how many|how much|what share|what percentage)\b"
)
_PERCENT_QUESTION = re.compile(r"(?i)\b(procent|andel|hvor stor en del|share|percentage|per ?cent)\b")
_MONEY_QUESTION = re.compile(
    r"(?i)\b(penge|money|hvor stort? (?:et )?budget|kroner|beløb|spare|save|skære ned|finansier\w*|cost)\b"
)
_FREQUENCY_QUESTION = re.compile(r"(?i)\b(hvor ofte|hvor tit|hvor hyppigt|how often)\b")
_DATE_QUESTION = re.compile(r"(?i)\b(hvornår|when|by what date|hvilken dato|what date)\b")
_DURATION_QUESTION = re.compile(r"(?i)\b(hvor længe|how long|inden for hvor lang tid|within how long)\b")
_PHASE_QUESTION = re.compile(r"(?i)\b(hvornår|when)\s+(i|in|during)\b")
_YES_NO = re.compile(
    r"(?i)^\W*(er|har|skal|kan|må|vil|findes|står|nævner|indeholder|omtaler|beskriver|sætter|is|are|does|do|has|have|"
    r"can|will|should)\b"
)
_SCORE_QUESTION = re.compile(r"(?i)\b(hvor tilfredse?|hvor godt|how satisfied|how well)\b")
_BUDGET_QUESTION = re.compile(r"(?i)\b(hvad er|hvad var|what is|what was)\b.{0,60}\bbudget")
_NAME_QUESTION = re.compile(
    r"(?i)\b(hvad hed|hvad hedder|hvad er navnet på|what was the name|what is the name|what is it called)\b"
)
# "Nåede Jammerbugt sit mål i 2014, og hvad blev det faktiske tal?": a plan
# cannot report the result of its own year or a later one.
_RESULT_QUESTION = re.compile(r"(?i)\b(nåede|opnåede|nået|faktiske|endte|blev resultatet|did .{0,30} reach|actual)\b")

_YEAR = re.compile(r"^(19|20)\d\d$")
_NUMBER_WORDS = re.compile(
    r"(?i)\b(to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|tyve|halvdelen|en tredjedel|en fjerdedel|hundrede|tusinde)\b"
)
_PERCENT = re.compile(r"(?i)\d\s*(%|pct\b|procent)|\b(halvdelen|tredjedel\w*|fjerdedel\w*|\d+\s+ud af\s+\d+)\b")
_MONEY = re.compile(r"(?i)\d\s*(kr\b|kroner|mio\b|mia\b|million|milliard|dkk)")
_FREQUENCY = re.compile(
    r"(?i)\b(gange? (?:om|pr\.?|hver|i)|dagligt?|ugentlig\w*|månedlig\w*|kvartalsvis|kvartalsmæssig\w*|halvårlig\w*|"
    r"årlig\w*|hver(?:t)?\s+(?:\d+\.?\s*)?(?:dag|uge|måned|kvartal|halve år|år|samtale)|løbende|om året|om måneden)\b"
)
_DURATION = re.compile(
    r"(?i)\b(\d+(?:[.,]\d+)?|en|et|to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|atten|tyve|halvt?|et halvt)\s*"
    r"(?:-\s*\d+\s*)?(timer?|dage?|uger?|måneder?|mdr\.?|år|days?|weeks?|months?|years?)\b"
)
_DATE = re.compile(
    r"(?i)\b(januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december|"
    r"udgangen af|primo|ultimo|medio|foråret|efteråret|sommeren|vinteren|(?:19|20)\d\d|dag \d+|"
    r"\d{1,2}\.\d{1,2}\.\d{2,4})\b"
)
# Not a figure of the asked quantity: a digit inside a name («Covid-19»), a
# list number run into the sentence at its end («… langtidsledighed 2.»).
_QUOTED_NAME = re.compile(r"[\"“”«»'‘’][^\"“”«»'‘’]{3,60}[\"“”«»'‘’]")
_CAPITALISED = re.compile(r"(?<=[a-zæøå,]\s)(?!(?:Jobcenter|Kommune|Danmark|Byråd|Beskæftigelses\w*)\b)[A-ZÆØÅ]\w{2,}")
_NAME_NUMBER = re.compile(r"[A-Za-zÆØÅæøå]-\d+")
_TRAILING_LIST_NUMBER = re.compile(r"\s\d{1,2}\.\s*$|\|\s*\d{1,3}\s*$")  # «… 2.», a contents row's «| 8»
_INLINE_LIST_NUMBER = re.compile(r"(?:^|(?<=\s))\d{1,2}\.\s+(?=[A-ZÆØÅ])")  # «1. Resultater … 2. Færre …»
_DATE_NUMBER = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.?\s?(?:19|20)\d\d\b")  # «21.12 2022»
_YEARS_ADJECTIVE = re.compile(r"(?i)\d+-årig\w*")


# What an abstention says the plan does not state, per slot and language.
MISSING = {
    "da": {
        "percent": "den andel, der spørges om", "money": "beløbet", "score": "et målt niveau", "quantity": "det tal, der spørges om",
        "frequency": "hvor ofte", "duration": "hvor længe", "date": "tidspunktet", "name": "navnet",
        "result": "resultatet: en plan kan ikke kende udfaldet af sit eget år eller senere år",
    },
    "en": {
        "percent": "the share asked for", "money": "the amount", "score": "a measured level", "quantity": "the figure asked for",
        "frequency": "how often", "duration": "how long", "date": "the date", "name": "the name",
        "result": "the result: a plan cannot know the outcome of its own year or later ones",
    },
}  # fmt: skip


def missing_text(slot: str | None, lang: str) -> str | None:
    return MISSING.get(lang, MISSING["da"]).get(slot) if slot else None


def slot_of(query: Query) -> str | None:
    """The slot the question asks to fill, or None (see the module doc)."""
    text = query.text
    if _YES_NO.match(text):
        return None  # «Står der noget om, hvor mange …?» asks whether the plan says, not for the figure
    if _BUDGET_QUESTION.search(text):
        return "money"
    if _NAME_QUESTION.search(text):
        return "name"
    if _SCORE_QUESTION.search(text):
        return "score"
    if _QUANTITY.search(text):
        if _PERCENT_QUESTION.search(text):
            return "percent"
        if _MONEY_QUESTION.search(text):
            return "money"
        return "quantity"
    if _FREQUENCY_QUESTION.search(text):
        return "frequency"
    if _DURATION_QUESTION.search(text):
        return "duration"
    if _DATE_QUESTION.search(text) and not _PHASE_QUESTION.search(text):
        return "date"
    return None


def fills(slot: str, quote: str, question: str = "") -> bool:
    """Does ``quote`` hold what ``slot`` asks for?"""
    if slot == "percent":
        return bool(_PERCENT.search(quote))
    if slot == "money":  # an amount in kroner, or a row of a budget table (its header gives the unit)
        return bool(_MONEY.search(quote)) or ("|" in quote and has_figure(quote))
    if slot == "score":  # a measured level: digits («4,2», «85 %»), never a count in words («De fire mål»)
        return has_figure(quote, words=False)
    if slot == "quantity":
        return has_figure(quote, years_asked=re.search(r"(?i)\b(år|years?)\b", question) is not None)
    if slot == "result":  # the plan's own year or a later one: no quote of the plan can hold it
        return False
    if slot == "name":  # a name in quotes, or a capitalised word inside the sentence the question does not use
        asked = question.lower()
        return bool(_QUOTED_NAME.search(quote)) or any(w.lower() not in asked for w in _CAPITALISED.findall(quote))
    if slot == "duration":  # «tre måneder», or until when: «indtil udgangen af 2021»
        return bool(_DURATION.search(quote) or _DATE.search(quote))
    if slot == "frequency":
        return bool(_FREQUENCY.search(quote)) and not quote.rstrip().endswith("?")
    if slot == "date":  # a date, or for what recurs a frequency («Hvornår holder Vejle …?» «Halvårligt | …»)
        return bool(_DATE.search(quote) or _FREQUENCY.search(quote)) and not quote.rstrip().endswith("?")
    return True


def has_figure(quote: str, years_asked: bool = False, words: bool = True) -> bool:
    """A figure other than a year, a name's number or a run-in list number."""
    text = quote
    while (stripped := _TRAILING_LIST_NUMBER.sub("", text)) != text:  # «… | 8\n3.»: a contents row, then a list number
        text = stripped
    text = _DATE_NUMBER.sub(" ", _NAME_NUMBER.sub(" ", _INLINE_LIST_NUMBER.sub(" ", text)))
    text = re.sub(r"(?i)\bdag \d+\b", " ", text)  # «fra dag 1» is a when, not a count
    if not years_asked:
        text = _YEARS_ADJECTIVE.sub(" ", text)
    return any(not _YEAR.match(n) for n in numbers_in(text)) or (words and bool(_NUMBER_WORDS.search(text)))


def past_years(query: Query, plan_years) -> list[str]:
    """The years the question names that lie before the plan's year: a
    figure answers "Hvor mange … i 2013?" from a 2014 plan only where the
    sentence names 2013 (else it is the plan's expectation for 2014)."""
    if not plan_years:
        return []
    return [y for y in re.findall(r"\b(?:19|20)\d\d\b", query.text) if int(y) < min(plan_years)]


def asks_result_beyond_plan(query: Query, plan_years) -> bool:
    """Does the question ask for the actual result of the plan's own year or
    a later one? No plan can state it."""
    asked = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", query.text)]
    return bool(plan_years and asked and _RESULT_QUESTION.search(query.text)) and max(asked) >= min(plan_years)


def names_years(years: list[str], *texts: str) -> bool:
    """No past year asked, or one of them is named («fra maj 2021 til maj
    2022» is answered by a row under «Maj 2022»)."""
    return not years or any(y in t for y in years for t in texts)


# A target is stated with a verb of obligation or a bound: "skal begrænses
# til 228", "mindst 50%", "maksimalt 660", "reduceres til 10%".
TARGET_STATEMENT = re.compile(
    r"(?i)\b(skal\s+(?:\w+\s+){0,3}(?:begrænses|reduceres|nedbringes|øges|stige|falde|være|udgøre)|"
    r"højst|mindst|maksimalt|minimum|målet er|mål om|ambitionen er|forventes)\b"
)
# A heading or table header over targets: «Resultatmål 2022», «4. Ministermål og indsatsområder».
_TARGET_CONTEXT = re.compile(r"(?i)(mål|resultatkrav|target)")


def answers_slot(query: Query, slot: str, past: list[str], quote: str, section: str, context: str) -> bool:
    """Does ``quote`` give what the question asks: the slot filled, a past year asked for named (by the
    quote, its section or its table header: ``context``), and, when a target is asked for («… som mål»),
    as a target (a sentence that states one, or a row under a heading or table of targets), not any figure
    of the plan's statistics."""
    if not (fills(slot, quote, query.text) and names_years(past, quote, section, context)):
        return False
    if query.answer_type != "target":
        return True
    return TARGET_STATEMENT.search(quote) is not None or _TARGET_CONTEXT.search(f"{section}\n{context}") is not None


def unfilled_slot(query: Query, answer: Answer, contexts: dict[str, str] | None = None) -> str | None:
    """The slot the question asks for when no evidence quote fills it; None
    when the answer fills it or none is asked. Questions about several
    municipalities are not judged as one. A past year asked for may be named
    by the quote, its section or its chunk's table header (``contexts``, by
    chunk id: «Maj 2022» above the row quoted)."""
    if answer.abstained or query.spanning or len(query.municipalities) > 1:
        return None
    slot = slot_of(query)
    evidence = [c for c in answer.citations if c.role == "evidence"]
    if asks_result_beyond_plan(query, [c.year for c in evidence]):
        return "result"
    if slot is None:
        return None
    past = past_years(query, [c.year for c in evidence])
    contexts = contexts or {}
    filled = any(answers_slot(query, slot, past, c.quote, c.section, contexts.get(c.chunk_id, "")) for c in evidence)
    return None if filled else slot


_HOW = re.compile(r"(?i)\b(hvordan|på hvilken måde|how)\b")


def answer_kind(query: Query, answer: Answer) -> AnswerKind:
    """What the answer gives, for clients that render by kind: "abstain",
    "list" (set by retrieval/structure.py when it quotes a list), else what
    the question asks: "when", "who", "number", "how" or "fact"."""
    if answer.abstained:
        return "abstain"
    if answer.kind == "list":
        return "list"
    if query.answer_type in ("when", "how_often"):
        return "when"
    if query.answer_type == "who":
        return "who"
    if _QUANTITY.search(query.text) or query.wants_number:
        return "number"
    if _HOW.search(query.text):
        return "how"
    return "fact"
