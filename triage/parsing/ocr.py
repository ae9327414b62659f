"""OCR behind a one-method protocol; the production engine is the Tesseract command line.

The command line rather than a binding: it needs no compiled extension, a crash cannot
take the worker down, and a timeout can stop a page that makes Tesseract hang.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Protocol

from triage.parsing.base import ParseError

log = logging.getLogger(__name__)


class OcrEngine(Protocol):
    def image_to_text(self, image_bytes: bytes) -> str:
        """Text of one image given as PNG, JPEG or TIFF bytes."""
        ...


class TesseractOcr:
    """Runs ``tesseract stdin stdout`` once per image."""

    def __init__(
        self,
        languages: str = "deu+eng",
        *,
        command: str = "tesseract",
        timeout_s: float = 120,
        threads: int | None = 1,
    ) -> None:
        self.languages = languages
        self.command = command
        self.timeout_s = timeout_s
        # Documents are processed in parallel already; OpenMP threads inside Tesseract then
        # oversubscribe the cores and make each page slower, not faster.
        self._env = dict(os.environ)
        if threads is not None:
            self._env.setdefault("OMP_THREAD_LIMIT", str(threads))

    @classmethod
    def detect(
        cls, languages: str = "deu+eng", *, command: str = "tesseract", timeout_s: float = 120
    ) -> TesseractOcr | None:
        """An engine if the binary exists and knows every requested language, else None."""
        path = shutil.which(command)
        if path is None:
            log.info("OCR unavailable: %r not found on PATH", command)
            return None
        try:
            listed = subprocess.run(
                [path, "--list-langs"], capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("OCR unavailable: %s --list-langs failed: %s", command, exc)
            return None
        # Older Tesseract versions print the list on stderr.
        output = (listed.stdout + listed.stderr).decode("utf-8", errors="replace")
        installed = {line.strip() for line in output.splitlines()[1:] if line.strip()}
        missing = [lang for lang in languages.split("+") if lang not in installed]
        if listed.returncode != 0 or missing:
            log.info("OCR unavailable: Tesseract lacks language data %s", missing or languages)
            return None
        return cls(languages, command=path, timeout_s=timeout_s)

    def image_to_text(self, image_bytes: bytes) -> str:
        args = [self.command, "stdin", "stdout", "-l", self.languages, "--psm", "3"]
        try:
            done = subprocess.run(
                args,
                input=image_bytes,
                capture_output=True,
                timeout=self.timeout_s,
                env=self._env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ParseError(f"OCR timed out after {self.timeout_s:g} seconds.") from exc
        except OSError as exc:
            raise ParseError(f"OCR could not be started ({exc.strerror or exc}).") from exc
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            last = detail[-1][:200] if detail else "no message"
            raise ParseError(f"OCR failed: Tesseract exited with code {done.returncode} ({last}).")
        return done.stdout.decode("utf-8", errors="replace")
