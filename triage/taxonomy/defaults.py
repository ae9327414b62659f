"""The taxonomy shipped with the package: the starting point for every tenant."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from triage.taxonomy.model import Taxonomy, TaxonomyError

DEFAULT_TAXONOMY_FILE = "default.yaml"


def default_taxonomy_path() -> Path:
    """The packaged ``default.yaml`` as a file on disk."""
    resource = files("triage.taxonomy").joinpath(DEFAULT_TAXONOMY_FILE)
    if not isinstance(resource, Path) or not resource.is_file():
        raise TaxonomyError(
            f"the packaged default taxonomy is not a file on disk: {resource}; "
            "is the package installed without its data files?"
        )
    return resource


def load_default_taxonomy() -> Taxonomy:
    """The packaged default taxonomy, parsed and validated."""
    return Taxonomy.load(default_taxonomy_path())
