"""Is this a governance problem, does the library have a useful case, and how good is each match.

`judge` decides the answer's verdict (fit / no_fit / off_topic / empty) from the `signals`;
`match` turns a result's scores into the calibrated 匹配度 (高/中/低 + percent + one sentence).
"""

from ..answer import NO_FIT_MESSAGE
from .judge import (
    FILTER_NAMES, OFF_TOPIC_MESSAGE, Assessment, Judge, empty_message, fit_probability,
)
from .match import HIGH, MEDIUM, level_of, match_of
from .signals import SIGNAL_LABELS

__all__ = [
    "Assessment", "FILTER_NAMES", "HIGH", "Judge", "MEDIUM", "NO_FIT_MESSAGE", "OFF_TOPIC_MESSAGE",
    "SIGNAL_LABELS", "empty_message", "fit_probability", "level_of", "match_of",
]
