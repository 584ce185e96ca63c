"""Hand-written lexicons, one namespace for the classifier and the tests.

The tables live by what they judge: single words in `words` (obscene roots, masked spellings,
insults and slurs), phrases of aggression in `phrases` (threats, rude phrases, unlawful content,
private data), and spam signals with the complaint rule in `spam_rules`.
"""

from __future__ import annotations

from .gate import RuleBook
from .phrases import (
    _PRIVATE,
    _RUDE,
    _THREAT,
    _UNLAWFUL,
    PRIVATE,
    RUDE,
    THREAT,
    UNLAWFUL,
    private_hits,
    rude_hits,
    threat_hits,
    unlawful_hits,
)
from .spam_rules import _SPAM, COMPLAINT_RE, SPAM, spam_hits
from .words import (
    ADDRESS_RE,
    IDIOM_RE,
    RUDE_WORDS,
    insult_kind,
    masked_match,
    obscene_root,
)

# Every phrase rule set behind one gate: what the classifier runs on each comment.
PHRASE_BOOK = RuleBook(
    [(_THREAT, False), (_RUDE, False), (_UNLAWFUL, False), (_PRIVATE, False), (_SPAM, True)]
)


def phrase_hits(phrase: str, starts: set[str] | None = None) -> list[list[tuple]]:  # type: ignore[type-arg]
    """[threat, rude, unlawful, private, spam] hits, each as its own `*_hits` function gives."""
    return PHRASE_BOOK.scan(phrase) if starts is None else PHRASE_BOOK.hits(phrase, starts)


__all__ = [
    "ADDRESS_RE",
    "COMPLAINT_RE",
    "IDIOM_RE",
    "PHRASE_BOOK",
    "PRIVATE",
    "RUDE",
    "RUDE_WORDS",
    "SPAM",
    "THREAT",
    "UNLAWFUL",
    "insult_kind",
    "masked_match",
    "obscene_root",
    "phrase_hits",
    "private_hits",
    "rude_hits",
    "spam_hits",
    "threat_hits",
    "unlawful_hits",
]
