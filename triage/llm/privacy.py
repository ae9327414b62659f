"""Whether personal data is pseudonymised before an LLM call, and the shape of what does it.

The pseudonymiser itself (German patterns and context) lives in ``triage.fields``; this layer
accepts any object with the two methods below, so it does not depend on that module.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from triage.config import Settings


class Pseudonymiser(Protocol):
    def pseudonymise(self, text: str) -> tuple[str, Any]:
        """The text with personal data replaced, and the mapping that undoes it (opaque here)."""
        ...

    def restore(self, obj: Any, mapping: Any) -> Any:
        """``obj`` (text or JSON-like data) with the placeholders put back."""
        ...


def is_loopback_url(url: str) -> bool:
    """True for localhost and loopback addresses; names are not resolved (no DNS at start)."""
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pseudonymise_enabled(settings: Settings) -> bool:
    """The setting when given; otherwise on for an openai backend whose URL is not loopback.

    A local transformers model keeps the text in the worker process, so it needs none.
    """
    if settings.llm_pseudonymise is not None:
        return settings.llm_pseudonymise
    if settings.effective_llm_backend != "openai":
        return False
    return not is_loopback_url(settings.llm_url or "")
