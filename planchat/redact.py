"""Personal data out of user text: CPR numbers, e-mail addresses and Danish
phone numbers become placeholders before a question is stored, logged or
answered.

Staff paste citizens' details into the chat ("borger 010190-1234 på
sygedagpenge …"); none of it helps retrieval, and a Danish public authority
may not keep it. ``redact`` replaces

- a CPR number, DDMMYY-XXXX, DDMMYY XXXX or DDMMYYXXXX, where DDMMYY is a
  date that exists in the century the 7th digit gives (CPR's own rule), by
  ``[CPR]``; "320190-1234" (day 32) and "011390-1234" (month 13) are not
  CPR numbers and stay;
- an e-mail address by ``[e-mail]``;
- a Danish phone number, eight digits written 12345678, 1234 5678 or
  12 34 56 78, with or without +45 / 0045 / (+45) in front, by
  ``[telefon]``. Plan-like figures stay: years and year lists ("2014 2015"
  is two years, not a number), amounts with separators ("512.115"), ranges
  ("2014-2018"), numbers with a unit after them ("12000000 kr.") and any run
  of digits longer or shorter than a phone number.

Over-redaction is the safe side: a question that loses a figure is answered
a little worse; a stored CPR number is a breach. ``without_placeholders``
gives the text the query analyser reads, so a placeholder word ("cpr",
"telefon") never steers retrieval either.
"""

from __future__ import annotations

import re
from datetime import date

CPR = "[CPR]"
EMAIL = "[e-mail]"
PHONE = "[telefon]"
PLACEHOLDERS = (CPR, EMAIL, PHONE)

_DASHES = "-‐‑–"  # hyphen-minus, hyphen, non-breaking hyphen, en dash
_NOT_AFTER_NUMBER = r"(?<!\d)(?<!\d[.,])"  # not inside a longer figure ("1.234", "12,5")
_NOT_BEFORE_NUMBER = r"(?![.,]?\d)"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_CPR = re.compile(
    _NOT_AFTER_NUMBER
    + rf"(?P<dd>\d\d)(?P<mm>\d\d)(?P<yy>\d\d)(?:[{_DASHES}]|[ \u00a0])?(?P<serial>\d{{4}})"
    + _NOT_BEFORE_NUMBER
)
_PREFIX = r"(?:(?:\+|00)45[ \u00a0]?|\(\+45\)[ \u00a0]?)"
_SEP = r"[ \u00a0]"
_PHONE = re.compile(
    rf"(?:(?<![\d+])(?P<prefix>{_PREFIX})|{_NOT_AFTER_NUMBER})"
    + rf"(?:(?P<pairs>\d\d{_SEP}\d\d{_SEP}\d\d{_SEP}\d\d)|(?P<halves>(?P<a>\d{{4}}){_SEP}(?P<b>\d{{4}}))|\d{{8}})"
    + _NOT_BEFORE_NUMBER
    + r"(?P<unit>[ \u00a0]*(?:kr\b|kroner|mio\b|mia\b|millioner|milliarder|pct\b|procent|%))?"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_PLACEHOLDER_TEXT = re.compile(r"[ \u00a0]*(?:" + "|".join(re.escape(p) for p in PLACEHOLDERS) + r")")


def cpr_date(dd: int, mm: int, yy: int, serial: str) -> date | None:
    """The birth date a CPR number states, or None when there is no such date.
    The century comes from the 7th digit (CPR-kontoret's table)."""
    seventh = int(serial[0])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


def _cpr(match: re.Match) -> str:
    dd, mm, yy = int(match["dd"]), int(match["mm"]), int(match["yy"])
    return CPR if cpr_date(dd, mm, yy, match["serial"]) else match.group(0)


def _phone(match: re.Match) -> str:
    if match["unit"]:  # "12000000 kr.": an amount
        return match.group(0)
    if match["halves"] and not match["prefix"] and _YEAR.fullmatch(match["a"]) and _YEAR.fullmatch(match["b"]):
        return match.group(0)  # "2014 2015": two years
    return PHONE


def redact(text: str) -> str:
    """``text`` with CPR numbers, e-mail addresses and phone numbers replaced
    by ``[CPR]``, ``[e-mail]`` and ``[telefon]``. Idempotent."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _CPR.sub(_cpr, text)
    return _PHONE.sub(_phone, text)


def without_placeholders(text: str) -> str:
    """Redacted text with its placeholders taken out: what the query analyser
    reads. A text that was nothing but personal data keeps its placeholders
    (an empty question would be refused as empty, which it was not)."""
    stripped = _PLACEHOLDER_TEXT.sub("", text).strip()
    return stripped if stripped.strip(" ,.;:!?") else text
