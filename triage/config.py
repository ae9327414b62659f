"""Settings, validated once at start (environment variables with the prefix ``TRIAGE_``)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from triage.accounts.service import LoginPolicy
from triage.accounts.sessions import SessionPolicy
from triage.links.finder import LinkRules

MEGABYTE = 1024 * 1024
# The folder the setup command builds (scripts/install.sh): models/ in the checkout.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "multilingual-e5-small"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Originals, models and the SQLite file."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in DATA_DIR/triage.sqlite3."
    )
    bootstrap_admin_key: str | None = Field(
        default=None,
        description="Creates the default tenant's first admin key with this value at start.",
    )
    default_tenant: str = "default"

    max_upload_mb: float = Field(default=50, gt=0, description="Largest accepted file.")
    max_request_mb: float = Field(default=200, gt=0, description="Largest upload request.")
    max_files_per_request: int = Field(default=100, gt=0)

    host: str = "127.0.0.1"
    port: int = 8000
    embedded_worker: bool = Field(
        default=True, description="Run the worker as a thread inside the API process."
    )
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # A batch of 256 long letters (8 windows each) takes minutes on 2 cores.
    job_lease_seconds: int = Field(default=900, gt=0)
    job_max_attempts: int = Field(default=3, gt=0)

    ocr_enabled: bool = True
    ocr_languages: str = "deu+eng"
    ocr_max_pages: int = Field(default=30, gt=0)

    embedding_model: str = Field(
        default=str(DEFAULT_MODEL_DIR),
        description="A sentence-transformers model folder or name (loaded offline).",
    )
    embedding_threads: int | None = Field(default=None, gt=0)
    worker_batch_size: int = Field(
        default=256,
        gt=0,
        le=1024,
        description="Jobs a worker takes at once; their texts are embedded in one call.",
    )
    worker_gather_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a worker waits for a fuller batch while uploads keep arriving.",
    )
    qdrant_url: str | None = Field(default=None, description="A Qdrant server; else embedded.")
    qdrant_api_key: str | None = None
    vector_store: Literal["edge", "qdrant-local"] = Field(
        default="edge", description="The embedded vector store when no QDRANT_URL is set."
    )
    taxonomy: Path | None = Field(
        default=None, description="Default case types for tenants without their own."
    )
    review_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Below this confidence a document goes to review."
    )
    claim_lease_seconds: int = Field(
        default=1800, gt=0, description="How long a caseworker holds a claimed document."
    )

    retrain_interval_hours: float = Field(
        default=24,
        ge=0,
        description="How often the worker checks whether a tenant's classifier should be "
        "retrained from caseworkers' decisions; 0 turns the scheduled retrain off.",
    )
    retrain_min_examples: int = Field(
        default=20, ge=2, description="Fewest labelled examples a retrain from feedback needs."
    )
    retrain_min_new_examples: int = Field(
        default=20,
        ge=1,
        description="Scheduled retrain only after this many new labelled examples.",
    )

    llm_backend: Literal["none", "transformers", "openai"] | None = Field(
        default=None,
        description="LLM for fields, summaries and second opinions; unset: 'openai' when "
        "LLM_URL is set, else 'transformers' when LLM_MODEL is set, else 'none' "
        "(see effective_llm_backend).",
    )
    llm_model: str | None = Field(
        default=None,
        description="A local causal LM folder (transformers) or the server's model name (openai).",
    )
    llm_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible server, e.g. http://ollama:11434/v1 (/v1 is added "
        "when the URL has no path).",
    )
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(
        default=60, gt=0, description="Wall-clock limit of one LLM call (generation or request)."
    )
    llm_max_new_tokens: int = Field(default=400, gt=0, le=8192)
    llm_concurrency: int = Field(
        default=1, gt=0, description="Generations or requests in flight at once per process."
    )
    llm_pseudonymise: bool | None = Field(
        default=None,
        description="Replace personal data before an LLM call and restore it in the result; "
        "unset: on for any openai URL that is not loopback (triage.llm.privacy).",
    )
    llm_grey_zone: tuple[float, float] = Field(
        default=(0.3, 0.6),
        description="Classifier confidences [low, high) that ask the LLM for a second opinion.",
    )
    priority_policy: Path | None = Field(
        default=None,
        description="The installation's default priority policy (YAML); default: the shipped "
        "triage/priority/default_policy.yaml. A tenant may load its own.",
    )
    link_window_days: int = Field(
        default=180, ge=1, description="How far back a follow-up letter looks for its matter."
    )
    duplicate_window_days: int = Field(
        default=60, ge=1, description="How far back a letter looks for its own earlier copy."
    )
    follow_up_similarity: float = Field(
        default=0.93,
        ge=0,
        le=1,
        description="Cosine from which a letter of the same sender counts as the same matter.",
    )
    duplicate_similarity: float = Field(
        default=0.95, ge=0, le=1, description="Cosine from which a letter may be a duplicate."
    )
    duplicate_overlap: float = Field(
        default=0.60,
        ge=0,
        le=1,
        description="Share of word triples two texts must have in common to be one letter "
        "(a scan and an e-mail of one letter differ in their frame and OCR slips).",
    )
    duplicate_new_words: int = Field(
        default=15,
        ge=0,
        description="Most words a letter may add to an earlier one and still be its duplicate "
        "(a reply quoting the whole earlier letter adds its own paragraphs).",
    )
    follow_up_hold_days: float = Field(
        default=3,
        ge=0,
        description="A follow-up is offered first to whoever holds its earlier document, or "
        "completed it within this many days; 0: no preference.",
    )
    figures_refresh_minutes: float = Field(
        default=15,
        gt=0,
        description="How often the worker, when idle, refreshes today's backlog figures.",
    )
    figures_backfill_days: int = Field(
        default=90,
        ge=0,
        le=3660,
        description="How far back the worker computes daily figures that were never taken "
        "(a new installation, or one upgraded from before the figures existed).",
    )
    prompts_dir: Path | None = Field(
        default=None,
        description="LLM prompt files; default: prompts/ in the checkout (triage.llm.prompts).",
    )

    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics.")
    metrics_bind: str | None = Field(
        default=None,
        description="host:port of a separate metrics listener without authentication, "
        "with every tenant's figures (e.g. 127.0.0.1:9464); unset: GET /metrics on the API, "
        "for a tenant's admin key, with that tenant's figures.",
    )
    worker_metrics_bind: str | None = Field(
        default=None,
        description="host:port where a separate `triage worker` serves its own metrics "
        "(stage timings, errors); unset: none.",
    )

    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins in a row that lock a person's account."
    )
    login_lockout_minutes: float = Field(
        default=15, gt=0, description="How long a locked account stays locked."
    )
    session_idle_minutes: float = Field(
        default=60, gt=0, description="A browser session ends after this long without use."
    )
    session_max_hours: float = Field(
        default=10, gt=0, description="A browser session ends this long after sign-in."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only (set it behind TLS).",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    demo: bool = Field(default=False, description="Load the demo tenant and letters at start.")

    @property
    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
        )

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.session_idle_minutes),
            longest=timedelta(hours=self.session_max_hours),
        )

    @property
    def link_rules(self) -> LinkRules:
        return LinkRules(
            window_days=self.link_window_days,
            duplicate_window_days=self.duplicate_window_days,
            follow_up_similarity=self.follow_up_similarity,
            duplicate_similarity=self.duplicate_similarity,
            duplicate_overlap=self.duplicate_overlap,
            duplicate_new_words=self.duplicate_new_words,
        )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("llm_grey_zone")
    @classmethod
    def _grey_zone_in_unit_interval(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high <= 1:
            raise ValueError("llm_grey_zone must be (low, high) with 0 <= low <= high <= 1")
        return value

    @field_validator("metrics_bind", "worker_metrics_bind")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is not None:
            host_port(value)
        return value

    @model_validator(mode="after")
    def _llm_backend_configured(self) -> Settings:
        backend = self.effective_llm_backend
        if backend == "transformers" and not self.llm_model:
            raise ValueError("llm_backend 'transformers' needs llm_model (a model folder)")
        if backend == "openai" and not (self.llm_url and self.llm_model):
            raise ValueError("llm_backend 'openai' needs llm_url and llm_model")
        return self

    @property
    def effective_llm_backend(self) -> Literal["none", "transformers", "openai"]:
        if self.llm_backend is not None:
            return self.llm_backend
        if self.llm_url:
            return "openai"
        if self.llm_model:
            return "transformers"
        return "none"

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'triage.sqlite3'}"

    @property
    def vectors_dir(self) -> Path:
        return self.data_dir / "vectors"

    @property
    def models_dir(self) -> Path:
        """Trained classifiers, one folder per tenant (``triage.classify.artefact``)."""
        return self.data_dir / "models"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MEGABYTE)

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * MEGABYTE)


def host_port(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` or ``"[::1]:9464"`` as (host, port); port 0 picks a free one."""
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port, got {value!r}")
    return host, int(port)
