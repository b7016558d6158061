"""Expected values shared by the API, CLI and end-to-end tests: the answer
contract's keys and the exact texts the seed corpus must produce."""

KNOWN_MUNICIPALITIES = "Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Rebild, Vejle"

JAMMERBUGT_Q = "Hvad er Jammerbugts mål for langtidsledigheden i 2014?"
JAMMERBUGT_228 = (
    "Antallet af langtidsledige – dvs. ledige, der har været ledige i min. 80 pct. af tiden inden for de "
    "seneste 52 uger – skal begrænses til 228 personer (antal personer) i december 2014, svt. et fald på "
    "20 pct. fra december 2012 til december 2014."
)
AARHUS_Q = "Hvad er Aarhus' mål for ledigheden i 2022?"
AARHUS_ANSWER = (
    "Det fremgår ikke af planerne: der er ingen beskæftigelsesplan for Aarhus i samlingen. "
    f"Planerne dækker {KNOWN_MUNICIPALITIES}."
)

ANSWER_KEYS = {
    "answer", "abstained", "citations", "targets", "timings_ms", "municipalities", "years",
    "question", "carried", "conversation_id", "generator", "fallback_reason", "notice",
}  # fmt: skip
# The follow-up pair of issue 5: the second question names no municipality or year.
FOLLOWUP_FIRST_Q = "Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?"
FOLLOWUP_Q = "Og hvor mange må tilgangen til førtidspension højst være samme sted?"
FOLLOWUP_RESOLVED = f"{FOLLOWUP_Q} (Jammerbugt, 2014)"
JAMMERBUGT_36 = "Tilgangen til førtidspension skal begrænses til 36 personer i december 2014"
# Quantitative targets extracted per corpus document (ingest/targets.py; 46 hand-labelled in evals/targets.jsonl).
TARGET_COUNTS = {
    "fredericia-2023": 10,
    "jammerbugt-2014": 28,
    "rebild-2022": 2,
    "region-hovedstaden-sjaelland-2010": 0,
    "vejle-2020-23": 3,
}
CITATION_KEYS = {
    "n", "doc_id", "title", "municipality", "year", "section", "page",
    "quote", "score", "role", "chunk_id", "start", "end",
}  # fmt: skip
