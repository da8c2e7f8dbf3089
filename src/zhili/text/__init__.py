"""Chinese text analysis: normalisation (NFKC, t2s, synonyms), segmentation with a governance
lexicon, stopwords. The word lists are plain data files in `zhili/data/text/` that
non-programmers edit."""

from .analyzer import Analysis, Analyzer, get_analyzer
from .normalize import Normalizer

__all__ = ["Analysis", "Analyzer", "Normalizer", "get_analyzer"]
