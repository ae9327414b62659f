"""Case types: the taxonomy a tenant's documents are classified into."""

from triage.taxonomy.defaults import default_taxonomy_path, load_default_taxonomy
from triage.taxonomy.model import CaseType, Taxonomy, TaxonomyError

__all__ = [
    "CaseType",
    "Taxonomy",
    "TaxonomyError",
    "default_taxonomy_path",
    "load_default_taxonomy",
]
