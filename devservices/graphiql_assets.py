"""GraphiQL's browser files for the API's development page (api/graphiql.py), installed under OCOP_HOME/graphiql.

They come from the npm packages pinned in devservices/graphiql/package-lock.json, each with its sha512
integrity, which `npm ci` checks. `make install` runs this module; `ocop run` and the browser tests do too,
and it returns at once when the installed copy matches the lock file.

To move to other versions, edit devservices/graphiql/package.json and run `npm install --package-lock-only`
in that directory: its .npmrc keeps registry addresses out of the lock file and skips install scripts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from api.graphiql import install_dir, missing_files
from api.settings import Settings
from devservices.commands import run_checked

SOURCE = Path(__file__).resolve().parent / "graphiql"
SOURCE_FILES = ("package.json", "package-lock.json", ".npmrc")
STAMP = ".installed"
NPM_TIMEOUT = 900.0


class GraphiQLAssetsError(RuntimeError):
    """The files could not be installed; the message says why and what to do."""


def source_digest() -> str:
    """What the installed copy must have been made from: the package files, hashed."""
    digest = hashlib.sha256()
    for name in SOURCE_FILES:
        digest.update(name.encode() + b"\0" + (SOURCE / name).read_bytes() + b"\0")
    return digest.hexdigest()


def is_installed(home: Path) -> bool:
    target = install_dir(home)
    try:
        stamp = (target / STAMP).read_text().strip()
    except OSError:
        return False
    return stamp == source_digest() and not missing_files(target / "node_modules")


def ensure_installed(settings: Settings | None = None) -> Path:
    """Install the packages with `npm ci` unless the copy under OCOP_HOME already matches the lock file;
    returns its directory. A new copy is made beside the old one and swapped in whole."""
    home = (settings or Settings()).home.expanduser().resolve()
    target = install_dir(home)
    if is_installed(home):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise GraphiQLAssetsError(
            "GraphiQL's files are installed with npm, which is not on PATH. Install Node.js with npm, then run "
            "`make install`."
        )
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / ".graphiql.lock"):
        if is_installed(home):  # another process installed it while this one waited
            return target
        staging = home / f".graphiql-new-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            for name in SOURCE_FILES:
                shutil.copyfile(SOURCE / name, staging / name)
            _npm_ci(npm, staging)
            missing = missing_files(staging / "node_modules")
            if missing:
                raise GraphiQLAssetsError(f"`npm ci` finished but these files are missing: {', '.join(missing)}")
            (staging / STAMP).write_text(source_digest() + "\n")
            old = home / f".graphiql-old-{os.getpid()}"
            if target.exists():
                target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _npm_ci(npm: str, directory: Path) -> None:
    command = [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts"]
    run_checked(command, what="`npm ci` for GraphiQL", failure=GraphiQLAssetsError, timeout=NPM_TIMEOUT, cwd=directory)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One installer at a time per OCOP_HOME (`make install` beside a test run)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main() -> None:
    try:
        print(f"GraphiQL's files: {ensure_installed()}")
    except (GraphiQLAssetsError, OSError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
