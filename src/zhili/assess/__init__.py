"""Assessments (党组织健康指数, 基层治理能力图谱): indicator sheets in, scores, levels and dynamic
warnings out of JDM decision tables, and for each weak point the practice cases that fit it.

    pack = load_pack("health")                      # checked like a rule pack; RuleCheckError if bad
    results = assess(pack, records)                 # unit → [PeriodResult, …] oldest first
"""

from .engine import PeriodResult, Record, Warning, assess
from .pack import PACK_NAMES, AssessmentPack, Indicator, check_all, check_pack, load_pack

__all__ = ["AssessmentPack", "Indicator", "PACK_NAMES", "PeriodResult", "Record", "Warning", "assess", "check_all",
           "check_pack", "load_pack"]
