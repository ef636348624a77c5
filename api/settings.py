"""Configuration, read from the environment (and an optional `.env`).

Every variable here is also what docker-compose.yml sets; keep the two in step.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where front-end development servers usually listen (Next.js, Create React App, Vite, Angular, Expo web).
DEV_PORTS = (3000, 3001, 4200, 5173, 8080, 8081, 19006)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Literal["dev", "production"] = Field("dev", alias="OCOP_ENV")
    home: Path = Field(PROJECT_ROOT / ".local", alias="OCOP_HOME")

    # External servers; when unset the project's own local servers are used (see devservices/local.py).
    mongodb_url: str | None = Field(None, alias="MONGODB_URL")
    meili_url: str | None = Field(None, alias="MEILI_URL")
    meili_master_key: str | None = Field(None, alias="MEILI_MASTER_KEY")
    # Scoped keys (search/keys.py): the API's may only search, the worker's only write its indexes. When
    # unset they are read from the file `ocop setup-search` writes under OCOP_HOME.
    meili_api_key: str | None = Field(None, alias="MEILI_API_KEY")
    meili_worker_key: str | None = Field(None, alias="MEILI_WORKER_KEY")
    meili_api_key_file: Path | None = Field(None, alias="MEILI_API_KEY_FILE")
    meili_worker_key_file: Path | None = Field(None, alias="MEILI_WORKER_KEY_FILE")

    mongo_port: int = Field(27018, alias="OCOP_MONGO_PORT")
    # Members of the local replica set, on mongo_port, mongo_port + 1, …; the URL lists them all.
    mongo_replicas: int = Field(1, alias="OCOP_MONGO_REPLICAS", ge=1, le=7)
    meili_port: int = Field(7701, alias="OCOP_MEILI_PORT")
    meili_bin: str | None = Field(None, alias="MEILI_BIN")

    # Mail (market/mail/): the SMTP server the worker delivers through. Unset: the local development server on
    # OCOP_SMTP_PORT, which `ocop services start` runs and which keeps every message under OCOP_HOME/mail.
    smtp_url: str | None = Field(None, alias="OCOP_SMTP_URL")
    smtp_port: int = Field(2525, alias="OCOP_SMTP_PORT")
    mail_from: str = Field("OCOP Market <no-reply@ocop-market.local>", alias="OCOP_MAIL_FROM")

    db_name: str = Field("ocop", alias="OCOP_DB_NAME")
    index_prefix: str = Field("", alias="OCOP_INDEX_PREFIX")

    api_host: str = Field("127.0.0.1", alias="OCOP_API_HOST")
    api_port: int = Field(8000, alias="OCOP_API_PORT")
    # API processes `ocop serve` starts; 0: one per core.
    api_workers_setting: int = Field(0, alias="OCOP_API_WORKERS", ge=0, le=64)
    # Persisted documents (api/persisted.py): Apollo's automatic persisted queries, and a production mode that
    # runs only the documents of a manifest. Batches of operations in one request, up to this many (0: off).
    apq: bool = Field(True, alias="OCOP_APQ")
    trusted_documents: Path | None = Field(None, alias="OCOP_TRUSTED_DOCUMENTS")
    max_batch: int = Field(10, alias="OCOP_MAX_BATCH", ge=0, le=100)

    # Seconds a public GET answer (no API key) may be reused by browsers and caches (api/caching.py).
    public_max_age: int = Field(60, alias="OCOP_PUBLIC_MAX_AGE", ge=0)

    # Browser origins allowed to call the API (comma-separated; `*` for any). Unset: the local development
    # origins in dev, none in production.
    cors_origins: str | None = Field(None, alias="OCOP_CORS_ORIGINS")

    # Proxies whose X-Forwarded-For is believed (comma-separated addresses, or *): the client address the
    # rate limits count. Empty: none, the connecting address is the client's.
    forwarded_allow_ips: str = Field("", alias="OCOP_FORWARDED_ALLOW_IPS")

    @property
    def server_options(self) -> dict[str, object]:
        """uvicorn's options that carry these settings: WebSocket messages bounded like request bodies, and
        forwarded addresses believed only from the proxies named."""
        return {
            "ws_max_size": self.max_body_bytes,
            "proxy_headers": bool(self.forwarded_allow_ips),
            "forwarded_allow_ips": self.forwarded_allow_ips or None,
        }

    # The API's address as the public reaches it, e.g. https://api.example.vn: the base of the links the API
    # hands out (document downloads, trace pages) and of the URL printed lots' QR codes carry. Unset: the
    # address each request came to, which a QR code printed from a local address will not reach.
    public_url: str | None = Field(None, alias="OCOP_PUBLIC_URL")

    # How many best-matching producers an open RFQ is sent to.
    rfq_invites: int = Field(10, alias="OCOP_RFQ_INVITES", ge=1, le=100)

    # The short execution path for plain fields and lean resolvers (schema/execution.py) and the single-operation
    # path of the endpoint (api/graphql.py); off means Strawberry's own execution and view.
    short_path: bool = Field(True, alias="OCOP_SHORT_PATH")

    # Seconds after which a search starts a recount of the catalogue's words for typo correction (search/service.py).
    vocabulary_refresh_seconds: float = Field(600.0, alias="OCOP_VOCABULARY_REFRESH_SECONDS", gt=0)

    # Seconds without a worker heartbeat after which /readyz reports search sync as down.
    sync_stale_after: float = Field(30.0, alias="OCOP_SYNC_STALE_AFTER")

    # Bounds on what one client may take (api/body_limit.py, api/rate_limit.py, market/storage/changes.py).
    max_body_bytes: int = Field(1024 * 1024, alias="OCOP_MAX_BODY_BYTES", ge=1024)
    # File uploads (multipart/form-data only): spreadsheets to import, documents.
    max_upload_bytes: int = Field(20 * 1024 * 1024, alias="OCOP_MAX_UPLOAD_BYTES", ge=1024)
    max_subscriptions: int = Field(10, alias="OCOP_MAX_SUBSCRIPTIONS", ge=1)
    rate_limit: bool = Field(True, alias="OCOP_RATE_LIMIT")
    rate_per_key: float = Field(20.0, alias="OCOP_RATE_PER_KEY", gt=0)
    rate_burst_per_key: int = Field(40, alias="OCOP_RATE_BURST_PER_KEY", ge=1)
    rate_per_address: float = Field(50.0, alias="OCOP_RATE_PER_ADDRESS", gt=0)
    rate_burst_per_address: int = Field(100, alias="OCOP_RATE_BURST_PER_ADDRESS", ge=1)

    # Seconds a request may wait for MongoDB: the API key lookup, and the rest of the request.
    auth_timeout: float = Field(2.0, alias="OCOP_AUTH_TIMEOUT", gt=0)
    db_timeout: float = Field(5.0, alias="OCOP_DB_TIMEOUT", gt=0)

    @property
    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]
        if self.env == "production":
            return []
        return [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in DEV_PORTS]

    @property
    def api_workers(self) -> int:
        return self.api_workers_setting or os.cpu_count() or 1

    @property
    def graphiql(self) -> bool:
        return self.env == "dev"

    @cached_property
    def local_meili_key(self) -> str:
        """Master key of the local Meilisearch: generated once, kept under OCOP_HOME."""
        path = self.home / "meili-master-key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def resolved_mongodb_url(self) -> str:
        if self.mongodb_url:
            return self.mongodb_url
        hosts = ",".join(f"127.0.0.1:{self.mongo_port + i}" for i in range(self.mongo_replicas))
        return f"mongodb://{hosts}/?replicaSet=rs0"

    @property
    def resolved_smtp_url(self) -> str:
        return self.smtp_url or f"smtp://127.0.0.1:{self.smtp_port}"

    @property
    def mail_link_base(self) -> str:
        """Where links in emails lead (verification, password reset, invitations): OCOP_PUBLIC_URL, else the
        local API's address. An email has no request to take the address from."""
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def mail_dir(self) -> Path:
        """Where the local development SMTP server keeps every message it receives."""
        return self.home.expanduser().resolve() / "mail"

    @property
    def resolved_meili_url(self) -> str:
        return self.meili_url or f"http://127.0.0.1:{self.meili_port}"

    @property
    def resolved_meili_key(self) -> str | None:
        if self.meili_url:
            return self.meili_master_key
        return self.meili_master_key or self.local_meili_key

    def meili_key_file(self, role: str) -> Path:
        """Where `ocop setup-search` keeps one role's scoped key (`api` or `worker`), one file each, so that a
        process can be given its own key and not the other's."""
        chosen = self.meili_api_key_file if role == "api" else self.meili_worker_key_file
        if chosen is not None:
            return chosen
        tag = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.index_prefix).strip("_")
        return self.home / (f"meili-{role}-key-{tag}" if tag else f"meili-{role}-key")

    def _stored_meili_key(self, role: str) -> str | None:
        try:
            key = self.meili_key_file(role).read_text().strip()
        except OSError:
            return None
        return key or None

    @property
    def search_key(self) -> str | None:
        """The API's Meilisearch key; the master key only where setup has not made scoped keys."""
        return self.meili_api_key or self._stored_meili_key("api") or self.resolved_meili_key

    @property
    def worker_key(self) -> str | None:
        """The key of the sync worker, reindex and check-sync."""
        return self.meili_worker_key or self._stored_meili_key("worker") or self.resolved_meili_key

    def child_environment(self) -> dict[str, str]:
        """The environment for a child process (`ocop worker`, `ocop serve`) that must use exactly these
        servers, database and index prefix. It gets the scoped Meilisearch keys, not the master key."""
        env = dict(os.environ)
        env.pop("MEILI_MASTER_KEY", None)
        env.update(
            MONGODB_URL=self.resolved_mongodb_url,
            MEILI_URL=self.resolved_meili_url,
            MEILI_API_KEY=self.search_key or "",
            MEILI_WORKER_KEY=self.worker_key or "",
            OCOP_DB_NAME=self.db_name,
            OCOP_INDEX_PREFIX=self.index_prefix,
            OCOP_RATE_LIMIT=str(self.rate_limit).lower(),
            OCOP_SMTP_URL=self.resolved_smtp_url,
        )
        return env

    def index_uid(self, name: str) -> str:
        return f"{self.index_prefix}{name}"
