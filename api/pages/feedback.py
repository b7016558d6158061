"""/feedback: the feedback given on answers. The page itself holds no
feedback: api/static/feedback-list.js loads it from GET /v1/feedback with
the admin key of the key field (the tab's sessionStorage), so the page can
be open while the entries stay the admin's."""

from __future__ import annotations

import json
from collections.abc import Sequence

from planchat.records import Citation

from .documents import key_field
from .layout import esc, page

CITED = ("n", "doc_id", "municipality", "year", "title", "section", "page", "quote", "start", "end", "role")


def feedback_attrs(question: str, answer: str, citations: Sequence[Citation]) -> str:
    """The data-feedback-* attributes /static/feedback.js turns into 👍/👎 controls (escaped for an attribute)."""
    cited = json.dumps([{k: getattr(c, k) for k in CITED} for c in citations], ensure_ascii=False)
    return (
        f' data-feedback-question="{esc(question)}" data-feedback-answer="{esc(answer)}"'
        f' data-feedback-citations="{esc(cited)}"'
    )


def feedback_page():
    body = (
        key_field()
        + """<section aria-labelledby="feedback-heading">
<h2 id="feedback-heading">Feedback på svar</h2>
<p class="muted">Brugernes vurderinger (nyttigt / ikke nyttigt) og kommentarer fra chatten og
Sammenlign-siden, nyeste først. Personnumre, e-mailadresser og telefonnumre er fjernet, før de blev gemt. Til et spørgesæt til evalueringen:
<code>planchat feedback export --format jsonl</code>.</p>
<form id="feedback-filter" class="filters">
<label>Vurdering<select id="feedback-rating" name="rating">
<option value="">Alle</option><option value="up">👍 Nyttigt</option><option value="down">👎 Ikke nyttigt</option>
</select></label>
<button type="submit">Hent feedback</button>
</form>
<p id="feedback-message" role="status"></p>
<div class="table-wrap"><table id="feedback-table" hidden>
<caption class="sr-only">Feedback på svar</caption>
<thead><tr><th scope="col">Tidspunkt</th><th scope="col">Vurdering</th><th scope="col">Spørgsmål</th>
<th scope="col">Kommentar</th><th scope="col">Svar og kilder</th></tr></thead>
<tbody id="feedback-rows"></tbody></table></div>
<button type="button" id="feedback-more" class="secondary" hidden>Vis flere</button>
</section>"""
    )
    return page("Feedback", body, active="/feedback", scripts=("admin-key.js", "feedback-list.js"),
                styles=("admin.css",))  # fmt: skip
