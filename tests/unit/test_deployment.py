"""docker-compose.yml speaks the code's language and gives each process only what it needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings
from market.mail.sender import sender_address
from market.mail.smtp import SmtpTarget

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
APP_SERVICES = ("setup", "api", "worker", "seed")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return dict(compose["services"])


def test_every_variable_the_application_is_given_is_a_setting(services: dict[str, Any]) -> None:
    known = {field.alias for field in Settings.model_fields.values() if field.alias}
    for name in APP_SERVICES:
        unknown = set(services[name]["environment"]) - known
        assert not unknown, f"{name} sets variables the code does not read: {sorted(unknown)}"


def test_only_setup_holds_the_search_master_key(services: dict[str, Any]) -> None:
    holders = {name for name in APP_SERVICES if "MEILI_MASTER_KEY" in services[name]["environment"]}
    assert holders == {"setup"}


def test_the_api_and_the_worker_connect_as_their_own_database_users(services: dict[str, Any]) -> None:
    urls = {name: services[name]["environment"]["MONGODB_URL"] for name in ("api", "worker")}
    assert urls["api"].startswith("mongodb://ocop_api:") and urls["worker"].startswith("mongodb://ocop_worker:")
    assert "MONGO_INITDB_ROOT_PASSWORD" in services["mongo"]["environment"]


def test_nothing_is_published_on_every_interface(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_the_api_and_the_worker_each_see_only_their_own_search_key(services: dict[str, Any]) -> None:
    mounts = {name: {str(v).split(":")[0] for v in services[name].get("volumes", [])} for name in ("api", "worker")}
    assert "api-key" in mounts["api"] and "worker-key" not in mounts["api"]
    assert "worker-key" in mounts["worker"] and "api-key" not in mounts["worker"]
    assert "--no-show" in services["setup"]["command"]  # the keys are not printed into the logs


def _default(value: str) -> str:
    """The default of a compose value written `${NAME:-default}`."""
    match = re.fullmatch(r"\$\{[A-Z_]+:-(.*)\}", value)
    assert match, f"{value!r} is not ${{NAME:-default}}"
    return match.group(1)


def test_only_the_worker_is_given_the_smtp_server(services: dict[str, Any]) -> None:
    # The API writes mail to the outbox; the worker delivers it, and only it holds the relay's password.
    holders = {name for name in APP_SERVICES if "OCOP_SMTP_URL" in services[name]["environment"]}
    assert holders == {"worker"}
    for name in ("api", "worker"):
        assert {"OCOP_MAIL_FROM", "OCOP_PUBLIC_URL"} <= set(services[name]["environment"])


def test_mail_defaults_agree_with_the_code_and_the_bundled_server(services: dict[str, Any]) -> None:
    worker = services["worker"]["environment"]
    assert _default(worker["OCOP_MAIL_FROM"]) == Settings.model_fields["mail_from"].default
    sender_address(_default(worker["OCOP_MAIL_FROM"]))  # one address, as the worker requires
    target = SmtpTarget.parse(_default(worker["OCOP_SMTP_URL"]))
    assert target.host in services and target.port == 1025
    assert services[target.host]["image"].startswith("axllent/mailpit:")
