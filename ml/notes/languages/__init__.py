"""The languages the notes analyser understands, registered by code.

Adding a language is adding a module here with a class that fulfils
:class:`rapport.ml.notes.languages.base.LanguageAnalyzer` and one line in :func:`_register_builtins`.
"""

from __future__ import annotations

from rapport.errors import RapportInputError
from rapport.ml.notes.languages.base import LanguageAnalyzer

_REGISTRY: dict[str, LanguageAnalyzer] = {}
_BUILTINS: list[bool] = []  # non-empty once en and zh are registered


class UnknownLanguageError(RapportInputError, ValueError):
    """A language code that no registered analyser handles."""


def register_language(analyzer: LanguageAnalyzer) -> None:
    """Make ``analyzer`` available under ``analyzer.code`` (replacing any earlier one)."""
    _register_builtins()
    if not isinstance(analyzer, LanguageAnalyzer):
        raise TypeError(f"{analyzer!r} does not implement LanguageAnalyzer (see ml/notes/languages/base.py)")
    _REGISTRY[analyzer.code] = analyzer


def get_language(code: str) -> LanguageAnalyzer:
    """The analyser registered for ``code`` (``"en"``, ``"zh"``, also ``"zh-CN"``, ``"en_US"``)."""
    _register_builtins()
    key = code.strip().lower().replace("_", "-").split("-")[0]
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownLanguageError(
            f"no notes analyser for language {code!r}; registered: {', '.join(sorted(_REGISTRY))}. "
            "Leave the language out to detect it, or add an analyser in ml/notes/languages/."
        ) from None


def available_languages() -> tuple[str, ...]:
    _register_builtins()
    return tuple(sorted(_REGISTRY))


def _register_builtins() -> None:
    if _BUILTINS:
        return
    from rapport.ml.notes.languages.en import English
    from rapport.ml.notes.languages.memo import MemoisedLanguage
    from rapport.ml.notes.languages.zh import Chinese

    _BUILTINS.append(True)
    for analyzer in (English(), Chinese()):
        _REGISTRY.setdefault(analyzer.code, MemoisedLanguage(analyzer))  # type: ignore[arg-type]
