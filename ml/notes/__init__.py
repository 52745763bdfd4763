"""Notes analysis: suggest the appointments, phone calls, tasks, contacts, content requests and
issues that a seller's note asks for, in English and Chinese (more languages plug in, see
:mod:`rapport.ml.notes.languages`). Docs: ``docs/notes_analysis.md``."""

from rapport.ml.notes.analyzer import DEFAULT_SETTINGS, AnalysisSettings, analyze, supported_languages
from rapport.ml.notes.languages import (
    UnknownLanguageError,
    available_languages,
    get_language,
    register_language,
)
from rapport.ml.notes.languages.base import LanguageAnalyzer
from rapport.ml.notes.suggestion import SUGGESTION_TYPES, Suggestion

__all__ = [
    "DEFAULT_SETTINGS",
    "SUGGESTION_TYPES",
    "AnalysisSettings",
    "LanguageAnalyzer",
    "Suggestion",
    "UnknownLanguageError",
    "analyze",
    "available_languages",
    "get_language",
    "register_language",
    "supported_languages",
]
