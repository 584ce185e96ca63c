"""A comment made ready for the verdict: model words, the joined phrase, tokens and specials.

Links, handles, phone numbers and sums of money become placeholders for the model («__url__»,
«__phone__», «__money__»); reply prefixes («[id123|Имя], …») and placeholders for names are left
out; every word keeps its original span so the card can mark it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from .normalize import HANDLE_RE, PHONE_RE, URL_RE, Token, tokenize

# Official domains: a link there is information, not spam.
OFFICIAL_DOMAINS = (
    "gov.ru",
    "gosuslugi.ru",
    "tomsk.ru",
    "tomsk.gov.ru",
    "admin.tomsk.ru",
    "tomskraion.ru",
    "rtomsk.ru",
    "tomsk-district.ru",
    "mos.ru",
    "nalog.ru",
    "nalog.gov.ru",
    "pfr.gov.ru",
    "sfr.gov.ru",
    "mchs.gov.ru",
    "kremlin.ru",
    "government.ru",
    "duma.gov.ru",
    "rosreestr.ru",
    "zakupki.gov.ru",
    "bus.gov.ru",
    "pos.gosuslugi.ru",
    "edu.ru",
    "mvd.ru",
    "xn--b1aew.xn--p1ai",
)
MONEY_RE = re.compile(
    r"(?:[$€₽]\s?\d[\d\s.,]*\d|[$€₽]\s?\d|\d[\d.,]*(?:\s\d{3})*\s?(?:руб\w*|р\.?(?![а-яa-z])|₽|\$|"
    r"usd\w*|usdt|долл\w*|бакс\w*|евро|€|тыс\w*|т\.р\.?|тр(?![а-я])|к(?![а-яa-z])|k(?![a-z])|"
    r"млн|миллион\w*))",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# Who a reply is addressed to, not what it says: VK's «[id123|Имя], …», a leading «@name, …» and the
# placeholders data sets put in place of names. Their words are left out of the verdict.
MENTION_RE = re.compile(
    r"\[(?:id|club|public|event)\d+\|[^\]\n]{0,80}\]"
    r"|^\s*@[\w.]{2,32}(?=[,:\s])"
    r"|[\[<{](?:user|username|name|имя|пользователь|юзер|nick)[\]>}]"
    r"|\b(?:USER|USERNAME)\b",
    re.IGNORECASE,
)
# Placeholders for a removed link: a link to the verdict.
LINK_PLACEHOLDER_RE = re.compile(r"[\[<{](?:url|link|ссылка)[\]>}]", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"(?:https?://)?(?:www\.)?([^/\s:?#]+)", re.IGNORECASE)


@dataclass
class Prepared:
    text: str
    words: list[str]  # model words (placeholders for links, phones, money, numbers)
    phrase: str  # words joined by spaces, for phrase patterns
    pstart: list[int]  # phrase offset of each word
    ospan: list[tuple[int, int]]  # original span of each word
    tokens: list[Token]  # real tokens (for lexicon lookups)
    urls: list[tuple[int, int, str]]
    handles: list[tuple[int, int]]
    phones: list[tuple[int, int]]
    mixed: int = 0  # words of more than three letters with Latin letters mixed in
    letters: int = 0  # one-character tokens (three or more: a word may be spelled letter by letter)

    def span_of(self, a: int, b: int) -> tuple[int, int]:
        """Original span covering phrase offsets [a, b)."""
        lo = hi = None
        for i, ps in enumerate(self.pstart):
            pe = ps + len(self.words[i])
            if pe > a and ps < b:
                s, e = self.ospan[i]
                lo = s if lo is None else min(lo, s)
                hi = e if hi is None else max(hi, e)
        if lo is None or hi is None:
            return (0, 0)
        return (lo, hi)


def is_official(url: str) -> bool:
    m = _DOMAIN_RE.match(url)
    host = (m.group(1) if m else url).lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def prepare(text: str) -> Prepared:
    specials: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    urls: list[tuple[int, int, str]] = []
    handles: list[tuple[int, int]] = []
    phones: list[tuple[int, int]] = []
    if "[" in text or "<" in text or "{" in text or "@" in text or "USER" in text.upper():
        for m in MENTION_RE.finditer(text):
            taken.append((m.start(), m.end()))
        for m in LINK_PLACEHOLDER_RE.finditer(text):
            urls.append((m.start(), m.end(), m.group()))
            specials.append((m.start(), m.end(), "__url__"))
            taken.append((m.start(), m.end()))
    if "." in text or "/" in text:
        for m in URL_RE.finditer(text):
            url = m.group().rstrip(".,;:!?)»\"'")
            e = m.start() + len(url)
            if not free(m.start(), e):
                continue
            official = is_official(url)
            urls.append((m.start(), e, url))
            specials.append((m.start(), e, "__offurl__" if official else "__url__"))
            taken.append((m.start(), e))
    if "@" in text:
        for m in HANDLE_RE.finditer(text):
            if free(m.start(), m.end()):
                handles.append((m.start(), m.end()))
                specials.append((m.start(), m.end(), "__at__"))
                taken.append((m.start(), m.end()))
    if _DIGIT.search(text):
        for m in PHONE_RE.finditer(text):
            if free(m.start(), m.end()) and sum(ch.isdigit() for ch in m.group()) >= 6:
                phones.append((m.start(), m.end()))
                specials.append((m.start(), m.end(), "__phone__"))
                taken.append((m.start(), m.end()))
        for m in MONEY_RE.finditer(text):
            if free(m.start(), m.end()):
                specials.append((m.start(), m.end(), "__money__"))
                taken.append((m.start(), m.end()))
    tokens = [t for t in tokenize(text) if free(t.start, t.end)] if taken else tokenize(text)
    words: list[str] = []
    ospan: list[tuple[int, int]] = []
    mixed = letters = 0
    for t in tokens:
        span = (t.start, t.end)
        for p in t.parts:
            words.append("__num__" if p.isdigit() else p)
            ospan.append(span)
        if t.disguise and t.disguise.startswith("латинская") and len(t.low) > 3:
            mixed += 1
        if t.end - t.start == 1:
            letters += 1
    if specials:
        items = sorted(
            [*specials, *((s, e, w) for (s, e), w in zip(ospan, words, strict=True))],
            key=lambda x: x[0],
        )
        words = [w for _, _, w in items]
        ospan = [(s, e) for s, e, _ in items]
    pstart = list(accumulate([len(w) + 1 for w in words], initial=0))
    pstart.pop()
    return Prepared(
        text=text,
        words=words,
        phrase=" ".join(words),
        pstart=pstart,
        ospan=ospan,
        tokens=tokens,
        urls=urls,
        handles=handles,
        phones=phones,
        mixed=mixed,
        letters=letters,
    )
