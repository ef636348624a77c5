"""Running an installer's command, and reporting its failure with the end of what it printed."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

OUTPUT_TAIL = 3000  # characters of a failed command's output kept in the error


def run_checked(
    command: Sequence[str],
    *,
    what: str,
    failure: type[Exception],
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run `command` without input; raise `failure` naming `what` if it cannot start or exits non-zero."""
    try:
        proc = subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise failure(f"{what} could not run: {exc}") from exc
    if proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip()[-OUTPUT_TAIL:]
        raise failure(f"{what} failed ({proc.returncode}):\n{output}")
