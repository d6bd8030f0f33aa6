"""The domain's vocabularies, models and pure rules, one module per concept. No I/O here."""

from raj_release.domain.demarches import AppliesIf, Template, TemplateSet
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
from raj_release.domain.milestones import Milestone
from raj_release.domain.models import Organisation, Worker
from raj_release.domain.partners import Partner

__all__ = [
    "Anchor", "AppliesIf", "Certainty", "InDetention", "Language", "Milestone", "MilestoneKind", "Modality",
    "Need", "OffsetUnit", "Organisation", "Partner", "Pillar", "Procedure", "Responsible", "Role", "Situation",
    "Status", "Template", "TemplateSet", "Worker",
]
