"""Which comments ask the administration something, and what kind a citizen's message is.

A small rule set over the moderation classifier's own word features (bot/moderation/classifier
`prepare`: lowercased, de-obfuscated words, links and numbers as placeholders), measured on a
labelled set of Russian comments by `uv run python -m bench.replies` (docs/benchmarks.md).
A comment the classifier flags (insults, spam) is moderation's business, never a ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.moderation.classifier import prepare

# Words that open a question or ask for something (word starts, after normalisation).
ASKING = (
    "когда", "почему", "зачем", "куда", "где", "сколько", "каким", "какой", "какая", "какие",
    "какое", "кто", "кому", "чем", "как", "что", "будет", "будут", "планир", "собира",
    "возможно", "можно", "нельзя", "есть", "ли",
)  # fmt: skip
# Addressing the administration: a request for an answer or for action.
ADDRESSING = (
    "подскаж", "скажит", "объясн", "ответьт", "уточн", "разъясн", "сообщит", "прошу", "просим",
    "помогит", "примите", "обращ", "сделайт", "уберит", "отремонт", "почин", "проверьт",
    "администрац", "глава", "главе",
)  # fmt: skip
WHERE_TO_TURN = re.compile(
    r"(куда|к кому|кому)\s+(можно\s+|нужно\s+|надо\s+)?(обра|пожал|звон|писа|напис|идти)"
)
THANKS = ("спасиб", "благодар", "молодц", "здоров", "отличн", "прекрасн", "ура")
COMPLAINT = (
    "безобраз", "жалоб", "возмут", "сколько можно", "до сих пор", "опять", "снова", "невозможн",
    "не работает", "не убира", "не вывоз", "разбит", "ужас", "кошмар", "позор", "грязь", "яма",
    "ямы", "нет света", "нет воды", "затопи", "не чист",
)  # fmt: skip
REQUEST = ("прошу", "просим", "помогит", "сделайте", "уберите", "установите", "примите меры")


@dataclass(frozen=True)
class Reading:
    question: bool
    score: int
    why: tuple[str, ...]


def _starts(words: list[str], stems: tuple[str, ...]) -> list[str]:
    return [w for w in words if any(w.startswith(s) for s in stems)]


def read(text: str) -> Reading:
    """Whether a comment asks the administration something, with the rules that said so."""
    prepared = prepare(text)
    words = prepared.words
    phrase = prepared.phrase
    why: list[str] = []
    score = 0
    if "?" in text:
        score += 2
        why.append("знак вопроса")
    asking = [w for w in words[:4] if any(w == s or w.startswith(s) for s in ASKING[:5])]
    if asking or _starts(words, ("когда", "почему", "зачем", "куда", "сколько")):
        score += 1
        why.append("вопросительное слово")
    if " ли " in f" {phrase} ":
        score += 1
        why.append("частица «ли»")
    addressing = _starts(words, ADDRESSING)
    if addressing:
        score += 1
        why.append("обращение к администрации")
    if WHERE_TO_TURN.search(phrase):
        score += 2
        why.append("куда обращаться")
    if _starts(words, THANKS) and "?" not in text:
        score -= 2
        why.append("благодарность")
    if len(words) < 3:
        score -= 1
        why.append("слишком коротко")
    return Reading(score >= 3, score, tuple(why))


def is_question(text: str) -> bool:
    return read(text).question


def kind_of(text: str) -> str:
    """question, complaint, request or thanks: what a citizen's message mostly is."""
    low = " ".join(prepare(text).words)
    low_text = text.lower()
    if any(s in low or s in low_text for s in COMPLAINT):
        return "complaint"
    if any(s in low_text for s in REQUEST):
        return "request"
    if any(w.startswith(THANKS) for w in low.split()) and "?" not in text:
        return "thanks"
    return "question"


KIND_TITLES = {
    "question": "вопрос",
    "complaint": "жалоба",
    "request": "просьба",
    "thanks": "благодарность",
}


def route(text: str, routes: list, default: str = "") -> str:
    """The department of the first routing rule one of whose keywords starts a word of the text
    (or appears in it, for phrases); `default` otherwise."""
    low = text.lower()
    words = set(prepare(text).words) | set(re.findall(r"\w+", low))
    for rule in routes:
        for keyword in rule.keywords:
            key = keyword.lower().strip()
            if " " in key and key in low:
                return rule.department
            if any(w.startswith(key) for w in words):
                return rule.department
    return default
