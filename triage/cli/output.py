"""Shared output of the command line: results on stdout, errors on stderr."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """An error message on stderr and the exit code for bad input (2), to be raised."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)
