"""What is taught and by whom: organisations and their people, programmes, cohorts."""

from facilitation.models.audit import AuditEntry
from facilitation.models.cohorts import Cohort, CohortRevision, Participant, cohort_facilitators
from facilitation.models.organisations import AccountLink, Organisation, User
from facilitation.models.programmes import Programme, SessionPlan, Step

__all__ = [
    "AccountLink",
    "AuditEntry",
    "Cohort",
    "CohortRevision",
    "Organisation",
    "Participant",
    "Programme",
    "SessionPlan",
    "Step",
    "User",
    "cohort_facilitators",
]
