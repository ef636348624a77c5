"""Debian's Chromium for the browser tests: `/usr/bin/chromium`, installed with apt-get when it is missing.

The tests drive it with Playwright's Python client, which is told where this binary is, so nothing downloads a
browser build of its own. Run `python -m devservices.browser` to install it ahead of the tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from devservices.commands import run_checked

CHROMIUM = Path("/usr/bin/chromium")
PACKAGE = "chromium"
# apt-get update plus a first install of Chromium and its libraries on a slow mirror.
INSTALL_TIMEOUT = 1800.0


class BrowserError(RuntimeError):
    """Chromium is missing and could not be installed; the message says what to do."""


def ensure_chromium() -> Path:
    """The Chromium binary, installing Debian's package when it is missing and this process may (root)."""
    if _usable(CHROMIUM):
        return CHROMIUM
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise BrowserError(
            f"The browser tests need Chromium at {CHROMIUM} and there is no apt-get to install it. Install "
            f"Chromium with the system's package manager."
        )
    if os.geteuid() != 0:
        raise BrowserError(
            f"The browser tests need Chromium at {CHROMIUM}. Install it as root: "
            f"`apt-get install -y --no-install-recommends {PACKAGE}`."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Another apt run (or a second test process installing too) holds the dpkg lock for a while: wait for it.
    lock_wait = ["-o", "DPkg::Lock::Timeout=600"]
    steps = [
        # A machine's package lists may be missing or older than the mirror's files.
        [apt_get, *lock_wait, "update"],
        [apt_get, *lock_wait, "install", "-y", "--no-install-recommends", PACKAGE],
    ]
    for command in steps:
        run_checked(command, what=f"`{' '.join(command)}`", failure=BrowserError, timeout=INSTALL_TIMEOUT, env=env)
    if not _usable(CHROMIUM):
        raise BrowserError(f"apt-get installed {PACKAGE}, yet {CHROMIUM} is not an executable file.")
    return CHROMIUM


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


if __name__ == "__main__":
    print(ensure_chromium())
