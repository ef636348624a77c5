"""The GraphQL schema as SDL, for frontend teams and code generators."""

from __future__ import annotations

from pathlib import Path

import typer

from api.settings import PROJECT_ROOT
from cli.common import console, err

SCHEMA_FILE = PROJECT_ROOT / "schema.graphql"


def export_schema(
    output: Path = typer.Option(SCHEMA_FILE, help="Where to write the SDL."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if the file differs instead of writing it."),
) -> None:
    """Write the GraphQL schema (SDL) to schema.graphql."""
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            err.print(f"{output} is stale: run `ocop export-schema`")
            raise typer.Exit(1)
        console.print(f"{output} is up to date")
        return
    output.write_text(sdl, encoding="utf-8")
    console.print(f"wrote {output}")
