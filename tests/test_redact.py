"""planchat/redact.py on a table of real-format values: CPR numbers (valid
dates, and look-alikes whose date does not exist, which must stay), e-mail
addresses, Danish phone numbers, and the plan-like figures around them that
must not be eaten."""

from __future__ import annotations

import pytest

from planchat.redact import cpr_date, redact, without_placeholders

CPR_NUMBERS = [
    ("010190-1234", "[CPR]"),  # DDMMYY-XXXX
    ("0101901234", "[CPR]"),  # DDMMYYXXXX
    ("010190 1234", "[CPR]"),  # a space for the dash
    ("010190–1234", "[CPR]"),  # an en dash, as word processors write it
    ("311299-2345", "[CPR]"),
    ("290200-4123", "[CPR]"),  # 29 February 2000 (7th digit 4, year 00: the 2000s)
    ("290296-1234", "[CPR]"),  # 29 February 1996
    ("150658-5555", "[CPR]"),  # 7th digit 5, year 58: 1858
    ("borger 010190-1234 på sygedagpenge", "borger [CPR] på sygedagpenge"),
    ("CPR: 0101901234.", "CPR: [CPR]."),
    # No such date: not a CPR number, left as written.
    ("320190-1234", "320190-1234"),  # day 32
    ("011390-1234", "011390-1234"),  # month 13
    ("000190-1234", "000190-1234"),  # day 0
    ("010090-1234", "010090-1234"),  # month 0
    ("300290-1234", "300290-1234"),  # 30 February
    ("290201-1234", "290201-1234"),  # 29 February 1901 (and 2001): not a leap year
    ("290200-1234", "290200-1234"),  # 7th digit 1: 1900, not a leap year
    ("3201901234", "3201901234"),
    # Not ten digits.
    ("010190-12345", "010190-12345"),
    ("1010190-1234", "1010190-1234"),
]

EMAILS = [
    ("jens.hansen@jammerbugt.dk", "[e-mail]"),
    ("Skriv til borger+sag@example.com.", "Skriv til [e-mail]."),
    ("søren.østergård@kommune.dk", "[e-mail]"),
    ("a_b-c@sub.domain.co.uk, tak", "[e-mail], tak"),
    ("JC-Vejle@VEJLE.DK", "[e-mail]"),
    # Not addresses.
    ("@jobcenter", "@jobcenter"),
    ("navn@", "navn@"),
]

PHONES = [
    ("12345678", "[telefon]"),
    ("12 34 56 78", "[telefon]"),
    ("1234 5678", "[telefon]"),
    ("+45 12 34 56 78", "[telefon]"),
    ("+4512345678", "[telefon]"),
    ("0045 1234 5678", "[telefon]"),
    ("(+45) 98 76 54 32", "[telefon]"),
    ("+45 98765432", "[telefon]"),
    ("ring på 72 33 00 00 i morgen", "ring på [telefon] i morgen"),
    ("tlf. 98 76 54 32, mail a+b@x.co.uk", "tlf. [telefon], mail [e-mail]"),
    ("mobil 2233 4455.", "mobil [telefon]."),
]

# Plan-like text that must come through unchanged.
PLAN_TEXT = [
    "Hvad er målet for 2014?",
    "228 personer",
    "Tilgangen skal begrænses til 36 personer i december 2014",
    "512.115 kr.",
    "i alt 1.512.115 kr. i 2014",
    "2014-2018",
    "planperioden 2020-23",
    "2014 2015 og 2016",
    "Sammenlign 2010 2011",
    "12000000 kr.",
    "12345678 kroner",
    "3,7 pct. i 2014",
    "123456789",
    "1234567",
    "12.345.678",
    "1.2345678",
    "12345678,5",
    "Ministermål 1. 2. 3. 4.",
    "uge 12 34 timer",
]


@pytest.mark.parametrize(
    ("text", "expected"), CPR_NUMBERS + EMAILS + PHONES, ids=[t for t, _ in CPR_NUMBERS + EMAILS + PHONES]
)
def test_personal_data_becomes_a_placeholder(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", PLAN_TEXT)
def test_plan_like_figures_are_left_alone(text):
    assert redact(text) == text


def test_a_question_with_all_three_keeps_its_words_and_loses_the_data():
    question = (
        "Borger 010190-1234 (jens@example.dk, tlf. 22 33 44 55) er på sygedagpenge i Vejle: hvad er målet for 2022?"
    )
    redacted = redact(question)
    assert redacted == "Borger [CPR] ([e-mail], tlf. [telefon]) er på sygedagpenge i Vejle: hvad er målet for 2022?"
    assert redact(redacted) == redacted  # idempotent


def test_the_analysed_text_has_no_placeholders_unless_it_was_nothing_else():
    assert without_placeholders("Borger [CPR] på sygedagpenge, [telefon]?") == "Borger på sygedagpenge,?"
    assert without_placeholders("[CPR]") == "[CPR]"
    assert without_placeholders("Hvad er målet for 2014?") == "Hvad er målet for 2014?"


def test_the_century_of_a_cpr_number_follows_its_seventh_digit():
    assert [str(cpr_date(1, 1, yy, serial)) for yy, serial in [(90, "1234"), (20, "4000"), (40, "4000"),
                                                               (20, "5000"), (60, "5000"), (36, "9000")]] == [
        "1990-01-01", "2020-01-01", "1940-01-01", "2020-01-01", "1860-01-01", "2036-01-01"]  # fmt: skip
    assert cpr_date(29, 2, 0, "1234") is None
