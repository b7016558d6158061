"""The ``planchat`` command line, run in-process through ``planchat.cli.main``.

Configuration comes only from ``PLANCHAT_*`` variables (as for a user), set
to a private data directory and the deterministic hash embedder.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from expected import (
    AARHUS_ANSWER,
    AARHUS_Q,
    ABSTENTION_EXAMPLES,
    ANSWER_KEYS,
    CITATION_KEYS,
    JAMMERBUGT_228,
    JAMMERBUGT_Q,
    KNOWN_MUNICIPALITIES,
    LIST_EXAMPLES,
    LIST_MORE_14,
    TARGET_COUNTS,
    VEJLE_TOOLS_BETWEEN,
    VEJLE_TOOLS_Q,
)

from api.streaming import markdown_answer
from planchat.cli import main
from planchat.config import REPO_ROOT

MANIFEST = json.loads((REPO_ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
CORPUS_IDS = [entry["id"] for entry in MANIFEST]  # manifest order: the order ingest reports in
CORE_SET = REPO_ROOT / "evals" / "sets" / "core.jsonl"

_CORPUS_LINE = re.compile(r"corpus: 5 documents, (\d+) changed, (\d+) chunks, \d+\.\ds")


def use_env(mp: pytest.MonkeyPatch, data_dir: Path) -> None:
    """Only our variables: nothing the calling shell set may leak in."""
    for name in list(os.environ):
        if name.startswith("PLANCHAT_"):
            mp.delenv(name)
    mp.setenv("PLANCHAT_DATA_DIR", str(data_dir))
    mp.setenv("PLANCHAT_EMBEDDER", "hash")
    mp.setenv("PLANCHAT_CORPUS_DIR", str(REPO_ROOT / "corpus"))


@pytest.fixture(scope="module")
def ingested_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli-data")
    with pytest.MonkeyPatch.context() as mp:
        use_env(mp, data_dir)
        assert main(["ingest"]) == 0
    return data_dir


class Run:
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()  # drop anything printed before
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def planchat(ingested_dir, monkeypatch, capsys) -> Run:
    """``planchat`` over the module's ingested index."""
    use_env(monkeypatch, ingested_dir)
    return Run(capsys)


@pytest.fixture
def fresh_planchat(tmp_path, monkeypatch, capsys) -> Run:
    """``planchat`` over an empty data directory."""
    use_env(monkeypatch, tmp_path / "data")
    return Run(capsys)


def chunk_counts(hash_index) -> dict[str, int]:
    # The session's hash index holds the same corpus, cut by the same code.
    return {doc_id: len(hash_index.docstore.chunks(doc_id)) for doc_id in CORPUS_IDS}


# -- ingest -------------------------------------------------------------------


def test_ingest_adds_the_corpus_then_finds_it_unchanged(fresh_planchat, hash_index):
    counts = chunk_counts(hash_index)
    total = sum(counts.values())

    code, out, err = fresh_planchat("ingest")
    assert (code, err) == (0, "")
    *reports, summary = out.splitlines()
    added = [
        re.fullmatch(r"added     ([\w.-]+): (\d+) chunks \((\d+) embedded\), (\d+) targets", line) for line in reports
    ]
    assert all(added), reports
    assert [(m[1], int(m[2]), int(m[4])) for m in added] == [
        (doc_id, counts[doc_id], TARGET_COUNTS[doc_id]) for doc_id in CORPUS_IDS
    ]
    # A fresh data directory has an empty embedding cache: every document needs the model.
    assert all(int(m[3]) >= int(m[2]) for m in added)
    assert _CORPUS_LINE.fullmatch(summary).groups() == ("5", str(total))

    code, out, err = fresh_planchat("ingest")
    assert (code, err) == (0, "")
    *reports, summary = out.splitlines()
    assert reports == [
        f"unchanged {doc_id}: {counts[doc_id]} chunks, {TARGET_COUNTS[doc_id]} targets" for doc_id in CORPUS_IDS
    ]
    assert _CORPUS_LINE.fullmatch(summary).groups() == ("0", str(total))


def test_ingest_of_a_missing_file_exits_2(planchat, tmp_path):
    missing = tmp_path / "no-such-plan.pdf"
    code, out, err = planchat("ingest", str(missing))
    assert (code, out) == (2, "")
    assert err == f"error: {missing}: no such file or directory.\n"


def test_ingest_of_a_single_file_needs_municipality_and_year(planchat, tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("Beskæftigelsesplan 2024\n\nVi vil have flere i job.\n", encoding="utf-8")
    code, out, err = planchat("ingest", str(plan))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {plan}: a single file needs --municipality and --year (or put it in a folder with a manifest.json).\n"
    )


# -- documents ------------------------------------------------------------------


def test_documents_lists_the_five_corpus_documents(planchat, hash_index):
    counts = chunk_counts(hash_index)
    code, out, err = planchat("documents")
    assert (code, err) == (0, "")
    expected = [
        f"{e['id']:40} {e['municipality']:30} {e['year']}  {counts[e['id']]:5} chunks  corpus  {e['title']}"
        for e in sorted(MANIFEST, key=lambda e: e["id"])
    ]
    assert out.splitlines() == expected
    assert [line.split()[0] for line in out.splitlines()] == sorted(CORPUS_IDS)


# -- ask ------------------------------------------------------------------------


def render_text(payload: dict) -> str:
    """What ``planchat ask`` prints for an answer record (the documented format):
    the answer (a list as Markdown, as in the OpenAI text), then each citation,
    a quote's further lines indented under its first."""
    lines = [markdown_answer(payload["answer"])]
    if payload["citations"]:
        lines.append("")
    for c in payload["citations"]:
        where = f"{c['municipality']} {c['year']}" + (f", s. {c['page']}" if c["page"] else "")
        label = " (se også)" if c["role"] == "see_also" else ""
        lines.append(f"[{c['n']}] {where} – {c['title']}{label}")
        if c["section"]:
            lines.append(f"    § {c['section']}")
        first, *rest = c["quote"].split("\n")
        lines.append("\n".join([f"    «{first}", *(f"     {line}" if line else "" for line in rest)]) + "»")
    return "\n".join(lines) + "\n"


def test_ask_prints_the_answer_then_numbered_citations(planchat):
    code, out, err = planchat("ask", JAMMERBUGT_Q, "--mode", "bm25")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"Jammerbugt: «{JAMMERBUGT_228}» [1]")
    assert lines[1] == ""
    assert lines[2] == "[1] Jammerbugt 2014 – Jobcenter Jammerbugt Beskæftigelsesplan 2014"
    assert lines[3].startswith("    § ")
    assert lines[4] == f"    «{JAMMERBUGT_228}»"
    citation_heads = [line for line in lines if re.match(r"\[\d+\] ", line)]
    assert [h.split("]")[0] + "]" for h in citation_heads] == [f"[{n}]" for n in range(1, len(citation_heads) + 1)]

    code, json_out, _ = planchat("ask", JAMMERBUGT_Q, "--mode", "bm25", "--json")
    assert code == 0
    assert out == render_text(json.loads(json_out))


def test_ask_json_prints_the_answer_record(planchat):
    code, out, err = planchat("ask", JAMMERBUGT_Q, "--mode", "bm25", "--json")
    assert (code, err) == (0, "")
    payload = json.loads(out)
    # conversation_token is an HTTP credential (the CLI keeps no conversations); markers place buttons in a browser.
    assert set(payload) == ANSWER_KEYS - {"conversation_token", "markers"}
    assert payload["abstained"] is False
    assert (payload["municipalities"], payload["years"]) == (["Jammerbugt"], [2014])
    assert [c["n"] for c in payload["citations"]] == list(range(1, len(payload["citations"]) + 1))
    assert all(set(c) == CITATION_KEYS for c in payload["citations"])
    first = payload["citations"][0]
    assert (first["doc_id"], first["quote"], first["role"]) == ("jammerbugt-2014", JAMMERBUGT_228, "evidence")
    assert "228" in payload["answer"]


def test_ask_for_a_municipality_without_a_plan_prints_only_the_abstention(planchat):
    code, out, err = planchat("ask", AARHUS_Q)
    assert (code, out, err) == (0, AARHUS_ANSWER + "\n", "")


def test_ask_marks_closest_passages_as_see_also_when_it_abstains(planchat):
    code, out, err = planchat("ask", "Hvordan bager jeg rugbrød?", "--json")
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["abstained"] is True
    assert payload["answer"].startswith("Det fremgår ikke af planerne.")
    code, text, _ = planchat("ask", "Hvordan bager jeg rugbrød?")
    assert text == render_text(payload)
    heads = [line for line in text.splitlines() if re.match(r"\[\d+\] ", line)]
    assert heads and all(h.endswith(" (se også)") for h in heads)


def test_ask_prints_a_list_answer_one_item_a_line(planchat):
    question = LIST_EXAMPLES["rebild-opgaver"][0]
    code, out, err = planchat("ask", question, "--mode", "bm25")
    assert (code, err) == (0, "")
    assert out.split("\n\n")[0].splitlines() == [
        "Rebild: «I Jobcenter Rebild vil vi derfor:» [1]",
        "- «bistå jobsøgende med at finde job» [2]",
        "- «bistå virksomhederne med rekruttering og fastholdelse af arbejdskraft» [3]",
        "- «bistå personer med behov for særlig indsats ift. job med en individuel og målrettet "
        "beskæftigelsesindsats med henblik på varig selvforsørgelse» [4]",
        "- «bistå unge uden uddannelse med en indsats, der gør at de kan gennemføre en studie- eller "
        "erhvervskompetencegivende uddannelse.» [5]",
    ]  # fmt: skip
    code, json_out, _ = planchat("ask", question, "--mode", "bm25", "--json")
    payload = json.loads(json_out)
    assert (payload["kind"], payload["abstained"]) == ("list", False)
    assert out == render_text(payload)


def test_ask_prints_lists_as_lines_and_how_many_items_the_plan_has(planchat):
    code, out, err = planchat("ask", VEJLE_TOOLS_Q, "--mode", "bm25")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [
        "Vejle: «Tilgang» [1]",
        "- «Det skal gøres attraktivt at søge hen, hvor arbejdsmarkedet har behov. Derfor skal der fortsat være "
        "fokus på, at flere unge får – og gennemfører en erhvervsuddannelse, og at de gode karriere- og "
        "jobmuligheder, som erhvervsuddannelser kan føre til, synliggøres blandt de unge og deres forældre, herunder "
        "unge med anden etnisk baggrund end dansk.» [2]",
    ]  # fmt: skip
    # An item's further lines are indented under it; a blank line ends each list.
    assert "  udbuddet af praktikpladser og virksomhedernes efterspørgsel på disse.» [3]" in lines
    between = lines.index(VEJLE_TOOLS_BETWEEN)
    assert lines[between - 1] == "" and lines[between + 1].startswith("- «I Jobcenter Vejle er uddannelse")
    note = lines.index(LIST_MORE_14)
    assert lines[note - 1] == "" and len([x for x in lines[between:note] if x.startswith("- «")]) == 10
    assert lines[note + 2].startswith("[1] Vejle 2022 – ")


def test_ask_indents_the_further_lines_of_a_quote(planchat):
    question, answer, see_also = ABSTENTION_EXAMPLES["vejle-medarbejdere"]
    code, out, err = planchat("ask", question, "--mode", "bm25", "--json")
    payload = json.loads(out)
    assert (payload["kind"], payload["answer"], len(payload["citations"])) == ("abstain", answer, see_also)
    code, out, err = planchat("ask", question, "--mode", "bm25")
    assert out == render_text(payload)
    assert "\n".join(out.splitlines()[4:7]) == (
        "    «Medarbejderinddragelse\n"
        "\n"
        "     Medarbejderne på arbejdsmarkedsområdet er afgørende for, at de mål, der styres efter, også bliver "
        "indfriet. Det er derfor vigtigt, at medarbejderne kender og kan forholde sig de fastsatte mål.»"
    )  # fmt: skip


def test_ask_with_an_unknown_municipality_exits_2(planchat):
    code, out, err = planchat("ask", JAMMERBUGT_Q, "--municipality", "Atlantis")
    assert (code, out) == (2, "")
    assert err == (
        f"error: municipalities: 'Atlantis' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.\n"
    )


def test_ask_with_a_bad_top_k_exits_2(planchat):
    code, out, err = planchat("ask", JAMMERBUGT_Q, "--top-k", "0")
    assert (code, out, err) == (2, "", "error: top_k: must be between 1 and 20; got 0.\n")


def test_ask_with_an_empty_question_exits_2(planchat):
    code, out, err = planchat("ask", "   ")
    assert (code, out, err) == (2, "", "error: question: must not be empty. Ask something about the plans.\n")


def test_ask_json_on_an_empty_index_still_prints_only_json(fresh_planchat):
    # The first ask ingests the corpus; its progress lines must not end up
    # in the JSON a script reads from stdout.
    code, out, _ = fresh_planchat("ask", AARHUS_Q, "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["answer"] == AARHUS_ANSWER


# -- eval -------------------------------------------------------------------------


def test_eval_writes_scores_as_json(planchat, tmp_path):
    out_path = tmp_path / "scores.json"
    code, out, err = planchat("eval", str(CORE_SET), "--config", "bm25", "--json", str(out_path), "--quiet")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split()[:2] == ["config", "facts"]
    assert out.splitlines()[2].startswith("bm25 ")
    scores = json.loads(out_path.read_text(encoding="utf-8"))
    assert isinstance(scores["fact_accuracy"], float) and 0.0 <= scores["fact_accuracy"] <= 1.0
    questions = sum(1 for line in CORE_SET.read_text(encoding="utf-8").splitlines() if line.strip())
    assert scores["questions"] == questions
    assert scores["verbatim_quote_rate"] == 1.0
    assert [c["config"] for c in scores["configs"]] == ["bm25"]
    assert scores["configs"][0]["summary"]["fact_accuracy"] == scores["fact_accuracy"]


def test_eval_of_a_missing_set_exits_2(planchat, tmp_path):
    missing = tmp_path / "nope.jsonl"
    code, out, err = planchat("eval", str(missing), "--config", "bm25", "--quiet")
    assert (code, out, err) == (2, "", f"error: {missing}: no such question set.\n")


def test_eval_baseline_gate_passes_then_fails_on_a_drop(planchat, tmp_path):
    baseline = tmp_path / "baseline.json"
    code, out, err = planchat(
        "eval", str(CORE_SET), "--config", "bm25", "--baseline", str(baseline), "--update-baseline", "--quiet"
    )
    assert (code, err, out.splitlines()[-1]) == (0, "", f"baseline written: {baseline}")
    written = json.loads(baseline.read_text(encoding="utf-8"))
    assert (written["set"], written["tolerance"], list(written["configs"])) == (str(CORE_SET), 0.02, ["bm25"])

    code, out, err = planchat("eval", str(CORE_SET), "--config", "bm25", "--baseline", str(baseline), "--quiet")
    assert (code, err, out.splitlines()[-1]) == (0, "", "regression gate: passed")

    # A baseline 0.1 above today's fact accuracy: the gate fails and says which score.
    written["configs"]["bm25"]["fact_accuracy"] = round(written["configs"]["bm25"]["fact_accuracy"] + 0.1, 4)
    baseline.write_text(json.dumps(written), encoding="utf-8")
    code, out, err = planchat("eval", str(CORE_SET), "--config", "bm25", "--baseline", str(baseline), "--quiet")
    assert code == 1
    assert err.splitlines()[0] == "regression gate: FAILED"
    assert err.splitlines()[1].startswith("  bm25: fact_accuracy ")
    assert len(err.splitlines()) == 2


def test_eval_with_a_missing_baseline_exits_2(planchat, tmp_path):
    missing = tmp_path / "nope.json"
    code, out, err = planchat("eval", str(CORE_SET), "--config", "bm25", "--baseline", str(missing), "--quiet")
    assert (code, err) == (2, f"error: {missing}: no such baseline. Create it with --update-baseline.\n")


def test_compare_prints_one_row_per_plan_in_every_format(planchat):
    code, out, err = planchat("compare", "ledighed", "--year", "2022", "--format", "json")
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["topic"] == "ledighed"
    assert [(r["municipality"], r["doc_id"]) for r in payload["rows"]] == [
        ("Rebild", "rebild-2022"), ("Vejle", "vejle-2020-23"),
    ]  # fmt: skip
    code, out, _ = planchat("compare", "ledighed", "--year", "2022", "--format", "csv")
    assert out.splitlines()[0] == "municipality,year,doc_id,stated,summary,targets,citations"
    assert [line.split(",")[0] for line in out.splitlines()[1:]][:1] == ["Rebild"]
    code, out, _ = planchat("compare", "ledighed", "--year", "2022", "--width", "72")
    assert code == 0 and {len(line) for line in out.splitlines()[1:]} == {72}
    code, out, err = planchat("compare", "ledighed", "--municipality", "Odense")
    assert (code, out) == (2, "")
    assert err.startswith("error: municipalities: 'Odense' is not in the corpus.")


def test_targets_and_their_evaluation(planchat):
    code, out, err = planchat("targets", "--municipality", "Rebild", "--format", "csv")
    assert (code, err) == (0, "")
    assert [line.split(",")[5] for line in out.splitlines()] == [
        "indicator", "ledigheden for fleksjobbere", "andelen af beskæftigede flygtninge og familiesammenførte",
    ]  # fmt: skip
    code, out, err = planchat("eval-targets")
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "labels 46  extracted 43  matched 41",
        "precision 0.953  recall 0.891  F1 0.921",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--q", "og i"), "q: has no searchable words (only stopwords or punctuation). Name what is measured."),
        (
            ("--municipality", "Aarhus"),
            f"municipality: 'Aarhus' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
        ),
    ],
)
def test_targets_refuses_what_get_v1_targets_refuses_with_the_same_message(planchat, argv, message):
    assert planchat("targets", *argv) == (2, "", f"error: {message}\n")


def test_targets_selects_as_get_v1_targets_does(planchat):
    code, out, err = planchat("targets", "--municipality", "jammerbugt", "--year", "2014", "--q", "langtidsledige",
                              "--distinct", "--format", "json")  # fmt: skip
    assert (code, err) == (0, "")
    found = json.loads(out)["targets"]
    assert [(t["target_id"], t["value_text"], t["unit"], t["direction"]) for t in found] == [
        ("jammerbugt-2014#5", "228", "personer", "at_most"),
        ("jammerbugt-2014#6", "20", "pct", "decrease"),
    ]


def test_a_single_file_is_ingested_shown_replaced_and_deleted(fresh_planchat, tmp_path):
    """The same rules as POST /v1/documents, from the command line."""
    assert fresh_planchat("ingest")[0] == 0
    plan = tmp_path / "plan.txt"
    plan.write_text("# Plan 2024\n\nAntallet af langtidsledige i Aarhus skal begrænses til 111 personer.\n",
                    encoding="utf-8")  # fmt: skip
    code, out, err = fresh_planchat("ingest", str(plan), "--municipality", "aarhus", "--year", "2024")
    assert (code, out) == (0, "added     aarhus-2024: 1 chunks (1 embedded), 1 targets\n")
    assert err == "plan.txt: embedding 1/1 chunks\n"  # the progress bar, one line per quarter off a terminal
    code, out, _ = fresh_planchat("documents", "show", "aarhus-2024")
    shown = json.loads(out)
    assert (shown["doc_id"], shown["municipality"], shown["source"], shown["managed_by"], shown["chunks"]) == (
        "aarhus-2024", "Aarhus", "upload/plan.txt", "upload", 1)  # fmt: skip
    assert (shown["report"]["status"], shown["report"]["targets"]) == ("added", 1)
    plan.write_text(plan.read_text(encoding="utf-8").replace("111", "112"), encoding="utf-8")
    code, out, _ = fresh_planchat("ingest", str(plan), "--municipality", "Aarhus", "--year", "2024")
    assert out.startswith("updated   aarhus-2024: 1 chunks")
    code, out, err = fresh_planchat("documents", "delete", "jammerbugt-2014")
    assert code == 2 and err.startswith("error: jammerbugt-2014: Jammerbugt 2014 comes from corpus/jammerbugt-2014.txt")
    code, out, _ = fresh_planchat("documents", "delete", "aarhus-2024")
    assert (code, out) == (0, "removed   aarhus-2024: 1 chunks\n")
    code, out, _ = fresh_planchat("documents", "list")
    assert "aarhus-2024" not in out and len(out.splitlines()) == 5


def test_a_single_file_from_another_publisher_needs_its_kind(fresh_planchat, tmp_path):
    """--publisher-kind, as POST /v1/documents' publisher_kind (the --kind option says what the document is)."""
    assert fresh_planchat("ingest")[0] == 0
    plan = tmp_path / "aars.txt"
    plan.write_text("# Plan 2005\n\nAntallet af langtidsledige i Aars skal begrænses til 40 personer.\n",
                    encoding="utf-8")  # fmt: skip
    code, out, err = fresh_planchat("ingest", str(plan), "--municipality", "Aars", "--year", "2005")
    assert (code, out, err) == (2, "", "error: municipality: 'Aars' is not a Danish municipality. Did you mean "
                                "'Aarhus'? If 'Aars' is another publisher, send publisher_kind (region, national, "
                                "historical or other).\n")  # fmt: skip
    argv = ("ingest", str(plan), "--municipality", "Aars Kommune", "--year", "2005", "--publisher-kind", "historical")
    assert fresh_planchat(*argv)[:2] == (0, "added     aars-2005: 1 chunks (1 embedded), 1 targets\n")
    shown = json.loads(fresh_planchat("documents", "show", "aars-2005")[1])
    assert (shown["municipality"], shown["publisher"], shown["publisher_kind"], shown["kind"]) == (
        "Aars", "Aars Kommune", "historical", "municipal plan")  # fmt: skip


def test_documents_show_needs_an_id(planchat):
    assert planchat("documents", "show") == (
        2,
        "",
        "error: documents show: name the document id (see `planchat documents list`).\n",
    )
