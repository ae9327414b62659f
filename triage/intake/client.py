"""The upload client used by ``triage ingest``: a scan-station PC talks to the API like any
other intake system, so the bulk import needs no database access."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class IngestResult:
    path: Path
    status: str  # received | duplicate | rejected | error
    document_id: str | None = None
    error: str | None = None


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, folders recursively, hidden entries skipped, sorted."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in relative.parts):
                    yield child
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


class IngestClient:
    def __init__(self, *, base_url: str, api_key: str, timeout_s: float = 120.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def upload(self, path: Path, *, fields: dict[str, str]) -> IngestResult:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            with path.open("rb") as handle:
                response = self._client.post(
                    "/api/v1/documents",
                    files=[("files", (path.name, handle, content_type))],
                    data=fields,
                )
        except (httpx.HTTPError, OSError) as exc:
            return IngestResult(path=path, status="error", error=str(exc))
        try:
            payload = response.json()
        except ValueError:
            return IngestResult(
                path, "error", error=f"HTTP {response.status_code}: {response.text[:200]}"
            )
        if "documents" not in payload:
            return IngestResult(
                path, "error", error=f"HTTP {response.status_code}: {payload.get('detail')}"
            )
        item = payload["documents"][0]
        return IngestResult(
            path=path, status=item["status"], document_id=item["id"], error=item["error"]
        )

    def upload_all(
        self,
        files: list[Path],
        *,
        fields: dict[str, str],
        concurrency: int = 4,
        on_result: Callable[[IngestResult], None] | None = None,
    ) -> list[IngestResult]:
        results: list[IngestResult] = []
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for result in pool.map(lambda p: self.upload(p, fields=fields), files):
                results.append(result)
                if on_result:
                    on_result(result)
        return results
