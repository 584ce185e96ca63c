"""Hand-written lexicons, one namespace for the classifier and the tests.

The tables live by what they judge: single words in `words` (obscene roots, masked spellings,
insults and slurs), phrases of aggression in `phrases` (threats, rude phrases, unlawful content,
private data), and spam signals with the complaint rule in `spam_rules`.
"""

from __future__ import annotations

from .phrases import (
    PRIVATE,
    RUDE,
    THREAT,
    UNLAWFUL,
    private_hits,
    rude_hits,
    threat_hits,
    unlawful_hits,
)
from .spam_rules import COMPLAINT_RE, SPAM, spam_hits
from .words import (
    ADDRESS_RE,
    IDIOM_RE,
    RUDE_WORDS,
    insult_kind,
    masked_match,
    obscene_root,
)

__all__ = [
    "ADDRESS_RE",
    "COMPLAINT_RE",
    "IDIOM_RE",
    "PRIVATE",
    "RUDE",
    "RUDE_WORDS",
    "SPAM",
    "THREAT",
    "UNLAWFUL",
    "insult_kind",
    "masked_match",
    "obscene_root",
    "private_hits",
    "rude_hits",
    "spam_hits",
    "threat_hits",
    "unlawful_hits",
]
