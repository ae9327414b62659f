"""``triage ingest``: bulk import of a folder through the upload API."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from triage.intake.client import IngestClient, IngestResult, iter_files

console = Console()


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    url: Annotated[str, typer.Option(help="Base URL of the service.")] = "http://127.0.0.1:8000",
    key: Annotated[
        str | None, typer.Option(help="API key with the intake role (or TRIAGE_API_KEY).")
    ] = None,
    channel: Annotated[str, typer.Option(help="Channel recorded on each document.")] = "post",
    external_ref: Annotated[
        str | None, typer.Option(help="Reference stored on each document.")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32)] = 4,
) -> None:
    """Upload every file under PATHS; prints accepted, duplicates and rejected with reasons."""
    api_key = key or os.environ.get("TRIAGE_API_KEY")
    if not api_key:
        raise typer.BadParameter(
            "an API key is needed: --key or TRIAGE_API_KEY", param_hint="--key"
        )
    try:
        files = list(iter_files(paths))
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if not files:
        console.print("No files found.")
        raise typer.Exit(0)
    fields = {"channel": channel}
    if external_ref:
        fields["external_ref"] = external_ref
    client = IngestClient(base_url=url, api_key=api_key)
    progress = Progress(
        TextColumn("[bold]Uploading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    try:
        with progress:
            task = progress.add_task("upload", total=len(files))
            results = client.upload_all(
                files,
                fields=fields,
                concurrency=concurrency,
                on_result=lambda _r: progress.advance(task),
            )
    finally:
        client.close()
    _summary(results)
    if any(r.status in ("rejected", "error") for r in results):
        raise typer.Exit(1)


def _summary(results: list[IngestResult]) -> None:
    counts = Counter(r.status for r in results)
    console.print(
        f"accepted: {counts['received']}  duplicates: {counts['duplicate']}  "
        f"rejected: {counts['rejected']}  errors: {counts['error']}"
    )
    problems = [r for r in results if r.status in ("rejected", "error")]
    if problems:
        table = Table("file", "status", "reason")
        for r in problems:
            table.add_row(str(r.path), r.status, r.error or "")
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
