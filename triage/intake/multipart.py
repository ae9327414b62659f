"""Streaming multipart/form-data reader: files are hashed, size-checked and spooled as they arrive.

Starlette's form parser keeps reading an oversized file to the end before anyone can look
at it; here each file is measured while it streams, so a too-large file stops being written
at once and the request stays within its caps.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

if TYPE_CHECKING:
    from hashlib import _Hash


class MultipartError(ValueError):
    """The request body is not a readable multipart form."""


class RequestTooLargeError(MultipartError):
    pass


@dataclass
class SpooledFile:
    """One uploaded file as received: spooled to disk unless it broke a limit."""

    field_name: str
    filename: str
    content_type: str | None
    size: int = 0
    sha256: str = ""
    path: Path | None = None
    too_large: bool = False
    head: bytes = b""

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


@dataclass
class ReceivedForm:
    files: list[SpooledFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        for spooled in self.files:
            spooled.discard()


@dataclass
class _PartState:
    headers: dict[str, str] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    field_name: str = ""
    file: SpooledFile | None = None
    handle: BinaryIO | None = None
    digest: _Hash | None = None
    value: bytearray = field(default_factory=bytearray)


HEAD_BYTES = 4096
MAX_FIELD_BYTES = 64 * 1024


class MultipartReader:
    """Feeds a request body through python-multipart's push parser into spooled files."""

    def __init__(
        self,
        content_type: str,
        *,
        spool_dir: Path,
        max_file_bytes: int,
        max_request_bytes: int,
    ) -> None:
        media_type, options = parse_options_header(content_type)
        if media_type != b"multipart/form-data" or b"boundary" not in options:
            raise MultipartError("expected a multipart/form-data body with a boundary")
        self._spool_dir = spool_dir
        self._max_file_bytes = max_file_bytes
        self._max_request_bytes = max_request_bytes
        self._received = 0
        self._form = ReceivedForm()
        self._part = _PartState()
        self._parser = MultipartParser(
            options[b"boundary"],
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    async def read(self, chunks: AsyncIterator[bytes]) -> ReceivedForm:
        try:
            async for chunk in chunks:
                self._received += len(chunk)
                if self._received > self._max_request_bytes:
                    raise RequestTooLargeError(
                        f"the request exceeds the limit of {self._max_request_bytes} bytes"
                    )
                self._parser.write(chunk)
            self._parser.finalize()
        except RequestTooLargeError:
            self._abort()
            raise
        except MultipartError:
            self._abort()
            raise
        except Exception as exc:  # python-multipart raises its own error types
            self._abort()
            raise MultipartError(f"the multipart body could not be read: {exc}") from exc
        return self._form

    def _abort(self) -> None:
        self._close_handle()
        self._form.discard()

    def _close_handle(self) -> None:
        handle = self._part.handle
        if handle is not None:
            handle.close()
            self._part.handle = None

    def _on_part_begin(self) -> None:
        self._part = _PartState()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._part.header_field.decode("latin-1").strip().lower()
        self._part.headers[name] = self._part.header_value.decode("utf-8", "replace")
        self._part.header_field.clear()
        self._part.header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition = self._part.headers.get("content-disposition", "")
        _, options = parse_options_header(disposition)
        self._part.field_name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        filename = options[b"filename"].decode("utf-8", "replace")
        # Browsers on Windows may send a full path; only the last component is the name.
        filename = filename.replace("\\", "/").rsplit("/", 1)[-1] or "unnamed"
        spooled = SpooledFile(
            field_name=self._part.field_name,
            filename=filename,
            content_type=self._part.headers.get("content-type"),
        )
        fd, path = tempfile.mkstemp(prefix="upload-", dir=self._spool_dir)
        spooled.path = Path(path)
        self._part.file = spooled
        self._part.handle = os.fdopen(fd, "wb")
        self._part.digest = hashlib.sha256()
        self._form.files.append(spooled)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        spooled = self._part.file
        if spooled is None:
            self._part.value += chunk
            if len(self._part.value) > MAX_FIELD_BYTES:
                raise MultipartError(f"form field {self._part.field_name!r} is too long")
            return
        spooled.size += len(chunk)
        if spooled.too_large:
            return
        if spooled.size > self._max_file_bytes:
            # Stop writing at once; the rest of this part is read and dropped.
            spooled.too_large = True
            self._close_handle()
            spooled.discard()
            return
        if len(spooled.head) < HEAD_BYTES:
            spooled.head += chunk[: HEAD_BYTES - len(spooled.head)]
        assert self._part.handle is not None and self._part.digest is not None
        self._part.handle.write(chunk)
        self._part.digest.update(chunk)

    def _on_part_end(self) -> None:
        spooled = self._part.file
        if spooled is None:
            self._form.fields[self._part.field_name] = self._part.value.decode("utf-8", "replace")
            return
        self._close_handle()
        if not spooled.too_large:
            assert self._part.digest is not None
            spooled.sha256 = self._part.digest.hexdigest()
