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

# Question words, at the start of the comment (after a greeting or «а»).
OPENERS = (
    "когда", "почему", "зачем", "куда", "где", "сколько", "какой", "какая", "какие", "какое",
    "каким", "кто", "кому", "как", "что", "будет", "будут", "планир", "можно", "есть", "чем",
)  # fmt: skip
GREETINGS = (
    "здравствуйте", "добрый", "день", "вечер", "утро", "а", "и", "скажите", "подскажите",
    "пожалуйста",
)  # fmt: skip
# Asking the administration for an answer.
ASK = (
    "подскаж", "скажит", "объясн", "ответьт", "уточн", "разъясн", "сообщит", "прошу ответ",
    "прошу разъясн", "прошу сообщ", "помогит",
)  # fmt: skip
# What the administration is asked about (word starts): services, works, documents.
TOPICS = (
    "дорог", "ремонт", "справк", "приём", "прием", "документ", "льгот", "субсид", "запис",
    "автобус", "маршрут", "рейс", "отоплен", "вод", "свет", "освещ", "мусор", "газ", "сад",
    "школ", "снег", "уборк", "благоустр", "мфц", "госуслуг", "выплат", "компенсац", "программ",
    "разрешен", "участ", "котельн", "поликлин", "талон", "капремонт", "тротуар", "площадк",
    "остановк", "фонар", "яма", "ямы", "глав", "администрац", "депутат", "отвечает", "обращ",
    "заявк", "колод", "дрова", "кадастр", "вакан", "лагер", "клуб", "мост", "насос", "интернет",
    "диспетчер", "телефон", "график", "сайт", "кров", "пункт", "пропуск", "собрани", "ветерин",
    "участков", "кладбищ", "подвал", "лифт", "газ",
)  # fmt: skip
WHERE_TO_TURN = re.compile(
    r"(куда|к кому|кому)\s+(можно\s+|нужно\s+|надо\s+)?(обра|жалов|звон|писа|напис|идти|сда)"
)
# Comments that ask other readers, or ask nothing at all.
RHETORICAL = re.compile(
    r"сколько можно|что дальше|кто.нибудь|кто со мной|вы знали|помните|ребята|народ|"
    r"неужели|правда\?|серь[её]зно|угадайте|кто ещё помнит|как вам|на фото"
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
    low = text.lower()
    why: list[str] = []
    score = 0
    if "?" in text:
        score += 2
        why.append("знак вопроса")
    opening = [w for w in words if w not in GREETINGS][:1]
    if opening and _starts(opening, OPENERS):
        score += 2
        why.append("начинается с вопросительного слова")
    if " ли " in f" {phrase} ":
        score += 1
        why.append("частица «ли»")
    if any(a in low for a in ASK):
        score += 3
        why.append("просьба ответить")
    if WHERE_TO_TURN.search(phrase):
        score += 2
        why.append("куда обращаться")
    if _starts(words, TOPICS):
        score += 1
        why.append("о том, чем занимается администрация")
    if RHETORICAL.search(low):
        score -= 3
        why.append("вопрос к читателям или риторический")
    if _starts(words, THANKS) and "?" not in text:
        score -= 2
        why.append("благодарность")
    if len(words) < 3:
        score -= 2
        why.append("слишком коротко")
    return Reading(score >= 4, score, tuple(why))


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
