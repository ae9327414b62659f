"""Relief staff ("Soforthilfe") work within the tenant's rules: their actor sees only the
configured case types, and only documents the classifier is sure enough about."""

from __future__ import annotations

from dataclasses import replace

from triage.actors import Actor
from triage.administration.rules import WorkRules
from triage.db.models import Role


def scoped_actor(actor: Actor, rules: WorkRules) -> Actor:
    """The actor as it may act under the rules: narrowed for relief staff, else as is."""
    if not actor.has_role(Role.RELIEF):
        return actor
    return replace(
        actor,
        case_types=frozenset(rules.relief_case_types),
        min_confidence=rules.relief_min_confidence,
    )
