"""Models of the tracker core: people, the audit trail, flagged content and cases."""

from .accounts import Role, User
from .audit import AuditEntry, Heartbeat
from .content import (
    Case,
    CaseItem,
    Category,
    Evidence,
    EvidenceFile,
    EvidenceImmutable,
    FlaggedItem,
    ImportRejection,
    ItemImport,
    Sighting,
)

__all__ = [
    "AuditEntry",
    "Case",
    "CaseItem",
    "Category",
    "Evidence",
    "EvidenceFile",
    "EvidenceImmutable",
    "FlaggedItem",
    "Heartbeat",
    "ImportRejection",
    "ItemImport",
    "Role",
    "Sighting",
    "User",
]
