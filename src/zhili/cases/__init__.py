"""Case library: the validated case model and import/export."""

from .model import DOMAINS, LEADERSHIP, LEVELS, Case, Outcome, Source, case_from_record

__all__ = ["Case", "Outcome", "Source", "DOMAINS", "LEADERSHIP", "LEVELS", "case_from_record"]
