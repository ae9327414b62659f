"""Settings, validated once at start (environment variables with the prefix ``TRIAGE_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MEGABYTE = 1024 * 1024


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
    job_lease_seconds: int = Field(default=300, gt=0)
    job_max_attempts: int = Field(default=3, gt=0)

    ocr_enabled: bool = True
    ocr_languages: str = "deu+eng"
    ocr_max_pages: int = Field(default=30, gt=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    demo: bool = Field(default=False, description="Load the demo tenant and letters at start.")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'triage.sqlite3'}"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MEGABYTE)

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * MEGABYTE)
