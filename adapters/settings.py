"""One ``Settings`` for every process, read from ``CASEWORK_*`` environment variables (and ``.env``).

Built only in composition roots (CLI commands, ``api.main.create_app``, ``worker.main``), never at import.
When ``temporal_address`` / ``database_url`` are unset, the embedded servers under ``var_dir`` are used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Typed configuration. Every field maps to ``CASEWORK_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CASEWORK_", env_file=".env", extra="ignore")

    # Where embedded servers keep their data, keys and pid files.
    var_dir: Path = Path("var")

    # Temporal. Unset address: the embedded dev server on embedded_temporal_port.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "casework"
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: str | None = None
    embedded_temporal_port: int = 7233
    embedded_temporal_ui_port: int = 8233

    # PostgreSQL. Unset: the embedded server, data under var_dir/pg.
    database_url: str | None = None
    database_name: str = "casework"
    db_pool_min: int = 1
    db_pool_max: int = 10

    # Worker tuning (issue 18; docs/benchmarks.md). The sticky cache keeps open cases' workflow instances (about
    # 0.2 MB each: a case not in it is rebuilt from its history, some 15 ms of CPU); workflow tasks are
    # CPU-bound under one GIL, so more slots than tasks in flight buy nothing; the case's store calls run as
    # local activities, each holding a database connection: unset, their slots are the pool's size.
    worker_max_cached_workflows: int = Field(1000, ge=0)
    worker_workflow_task_slots: int = Field(100, ge=1)
    worker_activity_slots: int = Field(100, ge=1)
    worker_local_activity_slots: int | None = Field(None, ge=1)
    worker_workflow_task_pollers: int = Field(5, ge=2)
    worker_activity_task_pollers: int = Field(5, ge=1)

    # Policy parameters: a JSON parameter book; unset = the shipped 禄丰市 book (domain/data).
    parameters_file: Path | None = None

    # HTTP API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    #: Largest request body accepted (bytes); a larger one is answered 413 before it is read.
    api_max_body_bytes: int = Field(1_048_576, ge=1024)
    #: How long ``POST /v1/cases`` waits for the new case's first record in PostgreSQL before it answers 201
    #: (beyond it: 202, and reads answer 503 ``case_not_yet_recorded`` until the record arrives).
    api_create_wait_seconds: float = Field(10.0, ge=0, le=60)
    #: How long the API keeps an idle HTTP connection open. Longer than the clients' own idle limit (httpx and
    #: most HTTP libraries: 5 s; load balancers: typically 60 s), so the client, not the server, closes an idle
    #: connection: a server closing at the moment a client reuses it drops that request unanswered.
    api_keep_alive_seconds: float = Field(75.0, gt=0, le=3600)

    # Authentication. Unset secret and key: the development HS256 key generated under var_dir/keys.
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_public_key_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_algorithms: list[str] = ["HS256"]
    jwt_issuer: str = "casework"
    jwt_audience: str = "casework-api"

    # Payload encryption (issue 7): every payload sent to Temporal is encrypted with the active key of this JSON
    # key file (unset: a development file generated under var_dir/keys). Off only for tests of the off state.
    payload_encryption: bool = True
    payload_keys_file: Path | None = None
    # Origins allowed to call the codec endpoint from a browser (the Temporal Web UI).
    codec_cors_origins: list[str] = ["http://127.0.0.1:8233", "http://localhost:8233"]

    # Audit ledger (issue 6). sha256, or sm3 where the commercial-cryptography rules apply. Checkpoints of the
    # chain head are signed with an Ed25519 key (unset: a development key generated under var_dir/keys) and
    # written to a directory the database operator cannot write (unset: var_dir/audit/checkpoints).
    ledger_hash_algorithm: Literal["sha256", "sm3"] = "sha256"
    ledger_signing_key_file: Path | None = None
    #: The key of 高龄津贴 enrolment case ids (unset: a development key generated under var_dir/keys).
    enrolment_key_file: Path | None = None
    ledger_verify_key_file: Path | None = None
    ledger_checkpoint_dir: Path | None = None

    # Logging. None: JSON when stderr is not a terminal.
    log_json: bool | None = None
    log_level: str = "INFO"

    @field_validator("temporal_address", "database_url", "jwt_secret", "jwt_jwks_url", "payload_keys_file",
                     "ledger_signing_key_file", "ledger_verify_key_file", "ledger_checkpoint_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("CASEWORK_DATABASE_URL must be a postgresql:// URL")
        return value

    @property
    def embedded_temporal(self) -> bool:
        return self.temporal_address is None

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.embedded_temporal_port}"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def effective_enrolment_key_file(self) -> Path:
        """The key of 高龄津贴 enrolment case ids (services/enrolment.py): named, or generated under var_dir/keys."""
        return self.enrolment_key_file or self.var_dir / "keys" / "enrolment-id.key"

    @property
    def dev_jwt_key_file(self) -> Path:
        return self.var_dir / "keys" / "jwt-dev-hs256.key"

    @property
    def effective_payload_keys_file(self) -> Path:
        return self.payload_keys_file or self.var_dir / "keys" / "payload-keys.json"

    @property
    def effective_ledger_signing_key_file(self) -> Path:
        return self.ledger_signing_key_file or self.var_dir / "keys" / "ledger-dev-ed25519.pem"

    @property
    def effective_ledger_checkpoint_dir(self) -> Path:
        return self.ledger_checkpoint_dir or self.var_dir / "audit" / "checkpoints"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once (the FastAPI dependency overrides this in tests)."""
    return Settings()
