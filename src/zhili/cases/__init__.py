"""Case library: the validated case model and import/export."""

from .model import DOMAINS, LEADERSHIP, LEVELS, Case, Outcome, Source, case_from_record, publish_problems
from .sources import TRUST_LEVELS

__all__ = ["Case", "Outcome", "Source", "DOMAINS", "LEADERSHIP", "LEVELS", "TRUST_LEVELS", "case_from_record",
           "publish_problems"]
