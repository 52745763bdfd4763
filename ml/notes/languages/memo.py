"""A language analyser whose answers are remembered: the same clause met again costs a dict look-up.

Notes repeat themselves: templates, "Left voicemail", a sentence copied from note to note, and a text
whose suggestions depend on its creation time is analysed once per note
(:func:`rapport.ml.notes.pipeline.analyze_batch`). A language's methods are pure functions of the text
they are given (pattern tables and word lists), so :class:`MemoisedLanguage` keeps each answer per
method and arguments, in a bounded table per process. Calls whose arguments are not hashable go
straight through, and list, set and dict answers are handed out as copies, so a caller that changes
one cannot change what the next caller gets. Only a method that is not a pure function of its
arguments would be answered wrongly; none is (a new one must not be, or must be listed in ``_NEVER``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MEMO_MAX = 50_000  # answers kept per language and process; the table starts afresh when full
_NEVER = frozenset[str]()  # methods never to memoise (none today)


class MemoisedLanguage:
    """``analyzer`` (a :class:`rapport.ml.notes.languages.base.LanguageAnalyzer`) with remembered answers."""

    def __init__(self, analyzer: Any) -> None:
        self.inner = analyzer
        self.code: str = analyzer.code
        self._memo: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        # called once per method name: the wrapper is then an instance attribute
        attribute = getattr(self.inner, name)
        if name.startswith("_") or name in _NEVER or not callable(attribute):
            return attribute
        wrapper = _memoised(name, attribute, self._memo)
        setattr(self, name, wrapper)
        return wrapper

    def __repr__(self) -> str:
        return f"MemoisedLanguage({self.inner!r})"


def _memoised(name: str, method: Callable[..., Any], memo: dict[tuple[Any, ...], Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        key = (name, *args)
        try:
            found = memo[key]
        except KeyError:
            found = method(*args)
            if len(memo) >= MEMO_MAX:
                memo.clear()
            memo[key] = found
        except TypeError:  # an unhashable argument (a list): not remembered
            return method(*args)
        kind = type(found)
        return kind(found) if kind is list or kind is set or kind is dict else found

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call
