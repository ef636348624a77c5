"""The project's own MongoDB, Meilisearch and SMTP server: real binaries, temporary OCOP_HOME, unusual ports."""

from __future__ import annotations

import importlib.metadata
import smtplib
import socket
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from api.settings import Settings
from devservices.local import MEILISEARCH, MONGODB, SMTP, LocalServices, ServiceError, ServiceStatus
from devservices.mailbox import Mailbox

MONGO_PORT = 27118
MEILI_PORT = 7801
SMTP_PORT = 2625


@pytest.fixture(scope="module")
def meili_bin() -> Path:
    """Meilisearch of the default OCOP_HOME (or MEILI_BIN / PATH): downloaded once for the whole suite."""
    return LocalServices(Settings()).ensure_meili_binary()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONGODB_URL", "MEILI_URL", "MEILI_MASTER_KEY", "MEILI_BIN", "OCOP_SMTP_URL"):
        monkeypatch.delenv(name, raising=False)


def _settings(home: Path, meili_bin: Path, mongo_port: int, meili_port: int, smtp_port: int = SMTP_PORT) -> Settings:
    return Settings(
        _env_file=None,
        OCOP_HOME=home,
        OCOP_MONGO_PORT=mongo_port,
        OCOP_MEILI_PORT=meili_port,
        OCOP_SMTP_PORT=smtp_port,
        MEILI_BIN=str(meili_bin),
    )


@pytest.fixture
def services(tmp_path: Path, meili_bin: Path, clean_env: None) -> Iterator[LocalServices]:
    local = LocalServices(_settings(tmp_path / "home", meili_bin, MONGO_PORT, MEILI_PORT))
    try:
        yield local
    finally:
        local.stop()  # whatever an assertion left behind


def _by_name(statuses: list[ServiceStatus]) -> dict[str, ServiceStatus]:
    return {status.name: status for status in statuses}


def _process_gone(pid: int) -> bool:
    """Gone, or a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_start_is_idempotent_and_stop_leaves_nothing(services: LocalServices) -> None:
    home = services.home
    # A stale pid file from a crashed run is cleaned up, not trusted.
    stale = home / f"meili-{MEILI_PORT}" / "meilisearch.pid"
    stale.parent.mkdir(parents=True)
    stale.write_text(f"{_dead_pid()}\n")

    first = _by_name(services.start())
    assert set(first) == {MONGODB, MEILISEARCH, SMTP}
    for status in first.values():
        assert status.running and status.started and not status.external
        assert status.pid is not None and not _process_gone(status.pid)
        assert status.data_dir is not None and status.data_dir.is_relative_to(home)
        assert status.log_file is not None and status.log_file.exists()
    assert first[MONGODB].version == "6.0.5"
    assert first[MEILISEARCH].version == "1.21.0"
    assert first[SMTP].version == importlib.metadata.version("aiosmtpd")
    assert first[SMTP].data_dir == home / "mail"
    assert stale.read_text().strip() == str(first[MEILISEARCH].pid)

    client: MongoClient[dict[str, Any]] = MongoClient(
        services.settings.resolved_mongodb_url, serverSelectionTimeoutMS=5000
    )
    with client:
        hello = client.admin.command("hello")
        assert hello["isWritablePrimary"] is True
        assert hello["setName"] == "rs0"
        assert hello["me"] == f"127.0.0.1:{MONGO_PORT}"

    with httpx.Client(headers={"Accept-Encoding": "identity"}, trust_env=False) as http:
        health = http.get(f"{services.settings.resolved_meili_url}/health")
        assert health.json() == {"status": "available"}
        key = services.settings.resolved_meili_key
        assert key is not None and len(key) >= 16
        indexes = http.get(
            f"{services.settings.resolved_meili_url}/indexes", headers={"Authorization": f"Bearer {key}"}
        )
        assert indexes.status_code == 200
        assert http.get(f"{services.settings.resolved_meili_url}/indexes").status_code == 401

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.vn", "b@example.vn", "Chào buổi sáng"
    message.set_content("Nội dung")
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=10) as smtp:
        smtp.send_message(message)
    (received,) = Mailbox.of(services.settings).latest()
    assert received.subject == "Chào buổi sáng" and received.text == "Nội dung\n"
    assert received.envelope_to == ("b@example.vn",)

    second = _by_name(services.start())
    for name, status in second.items():
        assert status.running and not status.started
        assert status.pid == first[name].pid

    # Another instance (another process, in practice) sees the same servers, with their versions.
    seen = _by_name(LocalServices(services.settings).status())
    for name, status in seen.items():
        assert status.running and status.pid == first[name].pid and status.version == first[name].version

    stopped = _by_name(services.stop())
    for name, status in stopped.items():
        assert not status.running and status.pid is None
        assert _process_gone(first[name].pid or 0)
    assert not any(home.glob("*/*.pid"))

    for status in services.status():
        assert not status.running and status.state == "stopped"
    # Stopping again is harmless.
    assert all(not s.running for s in services.stop())


def test_external_urls_start_nothing(tmp_path: Path, meili_bin: Path, clean_env: None) -> None:
    home = tmp_path / "home"
    settings = Settings(
        _env_file=None,
        OCOP_HOME=home,
        OCOP_MONGO_PORT=MONGO_PORT,
        OCOP_MEILI_PORT=MEILI_PORT,
        MONGODB_URL="mongodb://app:secret@db.invalid:27017/?replicaSet=rs0",
        MEILI_URL="http://search.invalid:7700",
        OCOP_SMTP_URL="smtp+starttls://mailer:secret@mail.invalid:587",
    )
    local = LocalServices(settings)
    for statuses in (local.start(), local.status(), local.stop()):
        by_name = _by_name(statuses)
        assert set(by_name) == {MONGODB, MEILISEARCH, SMTP}
        for status in by_name.values():
            assert status.external and not status.started and not status.running
            assert status.pid is None and status.state == "external"
        assert "secret" not in by_name[MONGODB].url
        assert by_name[MEILISEARCH].url == "http://search.invalid:7700"
        assert by_name[SMTP].url == "smtp+starttls://mailer:***@mail.invalid:587"
    assert not home.exists()


def test_port_taken_by_a_stranger(tmp_path: Path, meili_bin: Path, clean_env: None) -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        local = LocalServices(_settings(tmp_path / "home", meili_bin, MONGO_PORT + 1, port))
        with pytest.raises(ServiceError, match=rf"Port {port}.*OCOP_MEILI_PORT"):
            local.start()
    # Nothing was started before the check failed.
    assert not any(s.running for s in local.status())
