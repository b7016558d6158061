"""End to end: the admin and evaluator pages (/documents, /feedback, /evals) and the feedback controls, in real
headless Chromium (Debian's /usr/bin/chromium via Playwright, the widget test's browser) against a real
``planchat serve`` with an admin key, over a private copy of the real-model index.

- An upload through /documents runs as a background job: the page shows its progress bar from the 202 on, then
  the new plan answers in the widget.
- Feedback given in the widget (keyboard only) round-trips into ``planchat feedback export``.
- /compare's rows take 👍/👎 through /static/feedback.js (the data-feedback-* hook), quotes stored verbatim.
- axe-core (vendored: tests/e2e/vendor/axe.min.js, 4.14.1, MPL-2.0) finds no serious or critical violation on
  /documents, /feedback, /evals, a report and a diff.

Waits are bounded polls, never assertions about speed. Screenshots go to test-artifacts/admin-*.png.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from e2e_support import PLANCHAT, browser, serve_real_copy  # noqa: F401  (browser: a fixture)
from expected import JAMMERBUGT_Q
from test_widget import ANSWER_LIMIT_MS, UI_LIMIT_MS, artifact

from evals.feedback_export import gold_quote
from evals.publish import publish_report

pytestmark = pytest.mark.e2e

KEY = "e2e-admin-key-0123456789"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
JOB_LIMIT_MS = 180_000
ODDER_FACT = "Odder Kommune vil nedbringe antallet af langtidsledige til 150 personer i december 2024."
ODDER_Q = "Hvor mange langtidsledige vil Odder højst have i december 2024?"
TOPICS = ("unge uden uddannelse", "sygedagpenge", "virksomhedssamarbejde", "flygtninge", "seniorer", "handicap",
          "opkvalificering", "rekruttering", "jobrotation", "mentorordninger")  # fmt: skip


def odder_plan() -> str:
    """A plan long enough to take a few seconds to embed (about 40 chunks), with one fact to ask about."""
    parts = ["# Beskæftigelsesplan 2024 for Odder Kommune", "## Mål for langtidsledigheden", ODDER_FACT]
    for i in range(40):
        topic = TOPICS[i % len(TOPICS)]
        parts.append(f"## Indsats {i + 1}: {topic}")
        parts.append(
            f"Jobcentret i Odder arbejder med {topic} i tæt samarbejde med lokale virksomheder og uddannelsessteder. "
            f"Indsatsen for {topic} bygger på en tidlig og individuel kontakt, hvor borgerens egne ønsker og "
            "ressourcer er udgangspunktet. Sagsbehandlerne følger op, og resultaterne drøftes i "
            f"beskæftigelsesudvalget, så indsatsen for {topic} kan justeres i løbet af året. Erfaringerne deles "
            "med de andre teams, og virksomhedskonsulenterne bruger dem i dialogen med arbejdsgiverne om "
            f"praktik, løntilskud og ordinære timer for borgere, der er berørt af {topic}."
        )
    return "\n\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def admin_server(real_index, real_settings, tmp_path_factory):
    srv = serve_real_copy(real_settings, tmp_path_factory.mktemp("admin-server"), PLANCHAT_API_KEY=KEY)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def page(browser, admin_server):
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def serious_violations(page) -> list[str]:
    """axe-core on the page as it is. Evaluated through the DevTools protocol, which the page's CSP
    (script-src 'self') does not govern: the page itself stays as served."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in result if v["impact"] in ("serious", "critical")]  # fmt: skip


def save_key(page) -> None:
    page.locator("#admin-key").fill(KEY)
    page.locator("#admin-key").press("Enter")  # the keyboard path: Enter saves
    assert page.locator("#admin-key-state").text_content() == "Nøglen er gemt i denne fane."


def test_an_upload_shows_its_progress_then_the_plan_answers_in_the_widget(page, admin_server, tmp_path):
    from playwright.sync_api import expect

    plan = tmp_path / "odder-2024.txt"
    plan.write_text(odder_plan(), encoding="utf-8")
    page.goto(admin_server.base_url + "/documents")
    save_key(page)
    page.locator("#upload-file").set_input_files(str(plan))
    page.locator("#upload-municipality").fill("Odder")
    page.locator("#upload-year").fill("2024")
    page.locator("#upload-title").fill("Beskæftigelsesplan 2024 for Odder")
    page.evaluate(
        """() => {
            window.__job = [];
            const record = () => window.__job.push([document.getElementById('upload-stage').textContent,
                                                    document.getElementById('upload-progress').value]);
            new MutationObserver(record).observe(document.getElementById('upload-job'),
                                                 {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.locator("#upload-submit").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#upload-progress")).to_be_visible(timeout=UI_LIMIT_MS)
    page.locator('#upload-job[data-status="done"]').wait_for(timeout=JOB_LIMIT_MS)
    seen = [stage for stage, _ in page.evaluate("() => window.__job")]
    assert seen[0] == "Sender filen" and "I kø" in seen and seen[-1] == "Færdig", seen
    assert seen.index("I kø") < seen.index("Færdig")
    expect(page.locator("#upload-progress")).to_have_attribute("aria-valuetext", "100 %")
    status = page.locator("#upload-status").text_content()
    assert status.startswith("Færdig: «Beskæftigelsesplan 2024 for Odder» (Odder 2024) er nu i indekset: "), status
    row = page.locator('tr[data-doc-id="odder-2024"]')
    expect(row).to_be_visible()  # the list was refreshed in place
    expect(row.locator("a")).to_have_attribute("href", "/documents/odder-2024")
    assert page.url == admin_server.base_url + "/documents"  # the key never went into a URL
    assert page.evaluate("() => sessionStorage.getItem('planchat:admin-key')") == KEY
    page.screenshot(path=artifact("admin-documents.png"), full_page=True)
    assert serious_violations(page) == []

    page.goto(admin_server.base_url + "/")
    page.locator("#planchat-question").fill(ODDER_Q)
    page.keyboard.press("Enter")
    answer = page.locator(".planchat-bot[data-state=done]").last
    answer.wait_for(timeout=ANSWER_LIMIT_MS)
    assert "150 personer" in answer.locator(".planchat-answer").text_content()
    assert answer.locator(".planchat-cite-toggle").first.text_content().startswith("[1] Odder, 2024")


def test_feedback_in_the_widget_round_trips_into_the_export(page, admin_server):
    from playwright.sync_api import expect

    page.goto(admin_server.base_url + "/")
    page.evaluate("() => document.addEventListener('planchat:done', (e) => { window.__done = e.detail; })")
    page.locator("#planchat-question").fill(JAMMERBUGT_Q)
    page.keyboard.press("Enter")
    answer = page.locator(".planchat-bot[data-state=done]").last
    answer.wait_for(timeout=ANSWER_LIMIT_MS)
    done = page.evaluate("() => window.__done")
    down = answer.get_by_role("button", name="Ikke nyttigt", exact=True)
    down.focus()
    page.keyboard.press("Enter")
    expect(down).to_have_attribute("aria-pressed", "true")
    comment = answer.get_by_label("Kommentar (valgfri)")
    expect(comment).to_be_focused()
    page.keyboard.type("Mangler tallet for 2015. Borgerens cpr 010190-1234")
    answer.get_by_role("button", name="Send feedback").click()
    expect(answer.locator(".planchat-feedback-note")).to_have_text("Tak for din feedback.", timeout=UI_LIMIT_MS)
    page.screenshot(path=artifact("admin-widget-feedback.png"))

    out = subprocess.run([str(PLANCHAT), "feedback", "export", "--format", "jsonl", "--rating", "down"],
                         env=admin_server.env, capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    mine = [line for line in lines if line["question"] == JAMMERBUGT_Q]
    evidence = next(c for c in done["citations"] if c["role"] == "evidence")
    assert mine == [{
        "id": mine[0]["id"], "question": JAMMERBUGT_Q, "expected": [], "municipalities": ["Jammerbugt"],
        "expect_abstain": False, "tags": ["feedback", "feedback-down"], "gold_quote": gold_quote(evidence["quote"]),
        "note": "Mangler tallet for 2015. Borgerens cpr [CPR]",
    }]  # fmt: skip

    page.goto(admin_server.base_url + "/feedback")
    save_key(page)
    first = page.locator("#feedback-rows tr").first
    expect(first).to_contain_text("Mangler tallet for 2015. Borgerens cpr [CPR]", timeout=UI_LIMIT_MS)
    page.screenshot(path=artifact("admin-feedback.png"), full_page=True)
    assert serious_violations(page) == []


def test_compare_rows_take_feedback_through_the_hook(page, admin_server):
    from playwright.sync_api import expect

    http = httpx.Client(base_url=admin_server.base_url, timeout=60)
    rows = http.post("/v1/compare", json={"topic": "langtidsledighed"}).json()["rows"]
    page.goto(admin_server.base_url + "/compare?topic=langtidsledighed")
    page.evaluate("() => window.planchatFeedback.attach(document)")  # idempotent: still one set per row
    controls = page.locator("table.compare tbody tr .planchat-feedback")
    expect(controls).to_have_count(len(rows))
    expect(page.get_by_label("Kommentar (valgfri)")).to_have_count(len(rows))
    for box in page.get_by_label("Kommentar (valgfri)").all():
        expect(box).to_be_hidden()  # until a rating is chosen
    index, row = next((i, r) for i, r in enumerate(rows) if r["stated"])
    cell = page.locator("table.compare tbody tr").nth(index).locator("td.feedback")
    cell.get_by_role("button", name="Nyttigt", exact=True).click()
    cell.get_by_label("Kommentar (valgfri)").fill("Præcist citat")
    assert serious_violations(page) == []  # with a comment box open
    cell.get_by_role("button", name="Send feedback").click()
    expect(cell.get_by_role("status")).to_have_text("Tak for din feedback.", timeout=UI_LIMIT_MS)
    expect(cell.get_by_label("Kommentar (valgfri)")).to_be_hidden()
    listed = http.get("/v1/feedback?rating=up", headers={"Authorization": f"Bearer {KEY}"}).json()["feedback"]
    stored = next(e for e in listed if e["comment"] == "Præcist citat")
    assert stored["question"] == (f"Sammenlign: hvad siger {row['municipality']} {row['year']} om «langtidsledighed»?")
    assert stored["answer"] == row["summary"]
    assert [(c["quote"], c["start"], c["verified"]) for c in stored["citations"]] == [
        (c["quote"], c["start"], True) for c in row["citations"]
    ]
    page.screenshot(path=artifact("admin-compare-feedback.png"), full_page=True)


def test_evals_pages_have_no_serious_accessibility_violations(page, admin_server):
    from evals.runner import by_tag, summarize

    def run(verdict: bool) -> dict:
        rows = [{"id": "q1", "question": "Hvor mange?", "tags": ["number"], "answer": "228" if verdict else "?",
                 "abstained": False, "expect_abstain": False, "facts_expected": 1, "facts_found": int(verdict),
                 "all_facts": verdict, "missing": [] if verdict else ["228"], "supported": verdict,
                 "municipality_at5": True, "gold_rank": 1, "verbatim": [True], "citations": [],
                 "latency_ms": 10.0, "has_gold": True}]  # fmt: skip
        return {
            "set": "evals/sets/core.jsonl",
            "against": "in-process",
            "generated_at": "nu",
            "configs": [{"config": "hybrid", "summary": summarize(rows), "by_tag": by_tag(rows), "rows": rows}],
        }

    folder = admin_server.data / "eval-reports"
    older = publish_report(run(False), folder, 50, now=time.time() - 60)
    newer = publish_report(run(True), folder, 50)
    for path in ("/evals", f"/evals/{newer}", f"/evals/diff?report={newer}&baseline={older}"):
        page.goto(admin_server.base_url + path)
        assert serious_violations(page) == [], path
    page.screenshot(path=artifact("admin-evals-diff.png"), full_page=True)
    page.goto(admin_server.base_url + "/evals")
    page.screenshot(path=artifact("admin-evals.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(admin_server.base_url + "/documents")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # phone width: no sideways
    page.screenshot(path=artifact("admin-documents-phone.png"), full_page=True)
