"""The streaming multipart reader: hashes and sizes while reading, stops oversized files."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from triage.intake.multipart import MultipartError, MultipartReader, RequestTooLargeError

BOUNDARY = "grenze42"


def _body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(body: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _read(body: bytes, tmp_path: Path, *, max_file: int = 1000, max_request: int = 10_000):  # type: ignore[no-untyped-def]
    reader = MultipartReader(
        f"multipart/form-data; boundary={BOUNDARY}",
        spool_dir=tmp_path,
        max_file_bytes=max_file,
        max_request_bytes=max_request,
    )
    return asyncio.run(reader.read(_chunks(body)))


def test_files_and_fields_arrive_hashed_in_small_chunks(tmp_path: Path) -> None:
    data = "Grüße aus der Poststelle".encode()
    form = _read(
        _body([("channel", None, b"post"), ("files", "brief.txt", data), ("files", "b", b"")]),
        tmp_path,
    )
    assert form.fields == {"channel": "post"}
    first, empty = form.files
    assert first.filename == "brief.txt"
    assert first.size == len(data)
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.path is not None and first.path.read_bytes() == data
    assert empty.size == 0
    form.discard()
    assert list(tmp_path.iterdir()) == []


def test_an_oversized_file_is_marked_and_not_kept(tmp_path: Path) -> None:
    form = _read(_body([("files", "gross.pdf", b"x" * 5000)]), tmp_path, max_file=1000)
    [big] = form.files
    assert big.too_large
    assert big.path is None
    assert list(tmp_path.iterdir()) == []


def test_the_request_cap_stops_reading(tmp_path: Path) -> None:
    body = _body([("files", f"f{i}", b"y" * 900) for i in range(5)])
    with pytest.raises(RequestTooLargeError):
        _read(body, tmp_path, max_request=2000)
    assert list(tmp_path.iterdir()) == []


def test_not_multipart_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MultipartError, match="multipart/form-data"):
        MultipartReader(
            "application/json", spool_dir=tmp_path, max_file_bytes=1, max_request_bytes=1
        )
