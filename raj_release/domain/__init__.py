"""Pydantic models and enums of the domain. No I/O here."""

from raj_release.domain.enums import (
    Anchor,
    Certainty,
    InDetention,
    Language,
    MilestoneKind,
    Modality,
    Need,
    OffsetUnit,
    Pillar,
    Procedure,
    Responsible,
    Role,
    Situation,
    Status,
)
from raj_release.domain.models import (
    AppliesIf,
    Binome,
    Milestone,
    Organisation,
    Person,
    Template,
    TemplateSet,
    Worker,
)

__all__ = [
    "Anchor", "AppliesIf", "Binome", "Certainty", "InDetention", "Language", "Milestone", "MilestoneKind",
    "Modality", "Need", "OffsetUnit", "Organisation", "Person", "Pillar", "Procedure", "Responsible", "Role",
    "Situation", "Status", "Template", "TemplateSet", "Worker",
]
