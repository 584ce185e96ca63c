"""The moderation verdict: lexicons + hashed linear model, chat-agnostic."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from . import lexicon as lx
from .gate import word_starts
from .model import DEFAULT_MODEL_PATH, LinearModel
from .normalize import HANDLE_RE, PHONE_RE, URL_RE, Token, spaced_words, tokenize

CATEGORIES = ("obscenity", "insult", "threat", "spam", "unlawful")
LONG = 200  # characters: past this, model-only flags use their "_long" thresholds

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


@dataclass(frozen=True)
class Verdict:
    categories: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def flagged(self) -> bool:
        return bool(self.categories)


CLEAN = Verdict((), 0.0, (), ())


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


def _is_official(url: str) -> bool:
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
            official = _is_official(url)
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
    items: list[tuple[int, int, str]] = list(specials)
    for t in tokens:
        for p in t.parts:
            items.append((t.start, t.end, "__num__" if p.isdigit() else p))
    if specials:
        items.sort(key=lambda x: x[0])
    words = [w for _, _, w in items]
    pstart: list[int] = []
    pos = 0
    for w in words:
        pstart.append(pos)
        pos += len(w) + 1
    return Prepared(
        text=text,
        words=words,
        phrase=" ".join(words),
        pstart=pstart,
        ospan=[(s, e) for s, e, _ in items],
        tokens=tokens,
        urls=urls,
        handles=handles,
        phones=phones,
    )


@lru_cache(maxsize=200_000)
def _judge_word(
    variants: tuple[str, ...], masked: bool, low: str, disguise: str
) -> tuple[str | None, float, str]:
    """What the word lists say of one token: (kind, score, reason label); kind None when nothing.

    Depends on the token alone, so it is worked out once per distinct token."""
    for v in variants:
        found = lx.obscene_root(v)
        if found:
            word = "нецензурная брань" if found[1] > 0.85 else "грубая лексика"
            return "obscenity", found[1], word
    if masked or "@" in low or "$" in low:
        # "х%рня", "бл@дь": a symbol standing for a letter the visual map cannot guess
        target = lx.masked_match(low.replace("@", "*").replace("$", "*"))
        if target and lx.insult_kind(target):
            return "masked_insult", 0.9, ""
        if target:
            return "obscenity", 0.9, "нецензурная брань"
    if "разделены" in disguise and variants[0] in lx.RUDE_WORDS:
        return "spaced_rude", 0.8, ""  # "п.о.ш.ё.л": nobody spells an innocent word so
    for v in variants:
        kind = lx.insult_kind(v)
        if kind == "hate":
            return "hate", 0.9, "разжигание вражды"
        if kind == "strong":
            return "strong", 0.9, "оскорбление"
        if kind == "weak":
            return "weak", 0.75, "оскорбление"
    return None, 0.0, ""


def _q(text: str, span: tuple[int, int]) -> str:
    frag = text[span[0] : span[1]]
    return frag if len(frag) <= 40 else frag[:37] + "…"


class Classifier:
    def __init__(self, model_path: Path | None = None, stop_list: Sequence[str] = ()) -> None:
        self.model = LinearModel(model_path or DEFAULT_MODEL_PATH)
        th = self.model.thresholds
        self.th_toxic = th.get("toxic", 0.8)  # model alone flags an insult
        self.th_toxic_support = th.get("toxic_support", 0.5)  # weak insult + model agreement
        self.th_threat = th.get("threat", 0.9)  # the threat head alone flags a threat
        # over LONG characters a model-only flag needs more: no likelier on long ordinary comments
        self.th_toxic_long = th.get("toxic_long", self.th_toxic)
        self.th_toxic_addressed = th.get("toxic_addressed", min(self.th_toxic, 0.6))
        self.th_threat_long = th.get("threat_long", self.th_threat)
        self.th_spam = th.get("spam", 0.5)
        self._stop: list[tuple[re.Pattern[str], str]] = []
        for phrase in stop_list:
            norm = prepare(phrase).phrase.strip()
            if norm:
                rx = re.compile(r"(?<![^\s])" + re.escape(norm) + r"(?![^\s])")
                self._stop.append((rx, phrase))

    def scores(self, text: str) -> tuple[float, float, float]:
        """Raw model probabilities (toxic, threat, spam): for calibration in training and for
        learning from editors' decisions."""
        return self.model.scores(prepare(text).words)

    def classify(self, text: str) -> Verdict:
        if not text or not text.strip():
            return CLEAN
        prep = prepare(text)
        p_toxic, p_threat, p_spam = self.model.scores(prep.words)
        cats: dict[str, float] = {}
        reasons: list[str] = []
        spans: list[tuple[int, int]] = []

        def add(cat: str, score: float, reason: str, span: tuple[int, int] | None) -> None:
            cats[cat] = max(cats.get(cat, 0.0), score)
            if reason not in reasons:
                reasons.append(reason)
            if span and span[1] > span[0] and span not in spans:
                spans.append(span)

        # --- word lexicons: obscenity and insults ---
        weak: list[Token] = []
        idiom_spans = (
            [prep.span_of(m.start(), m.end()) for m in lx.IDIOM_RE.finditer(prep.phrase)]
            if " за " in prep.phrase or " не " in prep.phrase
            else []
        )
        lex_tokens = (
            prep.tokens + spaced_words(text, prep.tokens) if len(prep.tokens) > 2 else prep.tokens
        )
        for tok in lex_tokens:
            kind, score, label = _judge_word(tok.variants, tok.masked, tok.low, tok.disguise)
            if kind is None:
                continue
            orig = text[tok.start : tok.end]
            note = f" ({tok.disguise})" if tok.disguise else ""
            span = (tok.start, tok.end)
            if kind == "obscenity":
                add("obscenity", score, f"{label}: слово «{orig}»{note}", span)
            elif kind == "masked_insult":
                add("insult", score, f"оскорбление: «{orig}»{note}", span)
            elif kind == "spaced_rude":
                add("insult", score, f"грубость: «{orig}» ({tok.disguise})", span)
            elif any(a <= tok.start < b for a, b in idiom_spans):
                continue  # "не держите нас за дураков": not aimed at anyone
            elif kind == "weak":
                weak.append(tok)
            else:
                add("insult", score, f"{label}: «{orig}»", span)
        if weak:
            addressed = bool(lx.ADDRESS_RE.search(prep.phrase))
            for tok in weak:
                if addressed or p_toxic >= self.th_toxic_support:
                    add(
                        "insult",
                        0.75,
                        f"оскорбление: «{text[tok.start : tok.end]}»",
                        (tok.start, tok.end),
                    )
        # --- phrase patterns ---
        phrase = prep.phrase
        starts = word_starts(phrase)
        for a, b, reason in lx.threat_hits(phrase, starts):
            sp = prep.span_of(a, b)
            add("threat", 0.9, f"{reason}: «{_q(text, sp)}»", sp)
        for a, b, reason in lx.rude_hits(phrase, starts):
            sp = prep.span_of(a, b)
            add("insult", 0.8, f"{reason}: «{_q(text, sp)}»", sp)
        for a, b, reason in lx.unlawful_hits(phrase, starts) + lx.private_hits(phrase, starts):
            sp = prep.span_of(a, b)
            add("unlawful", 0.9, f"{reason}: «{_q(text, sp)}»", sp)
            if reason == "призыв к насилию":
                add("threat", 0.9, f"{reason}: «{_q(text, sp)}»", sp)
        if (
            prep.phones
            and re.search(
                r"\b(?:его|ее|этого|этой|соседа|соседки|мужа|жены|звоните ему|звоните ей|"
                r"номер этого|номер этой|вот номер|вот его|вот ее)\b",
                phrase,
            )
            and not re.search(
                r"\b(?:едд?с|диспетчер\w*|администраци\w*|служб\w*|горяч\w*)\b", phrase
            )
        ):
            add("unlawful", 0.8, "публикация телефона частного лица", prep.phones[0])
        for rx, orig in self._stop:
            m = rx.search(phrase)
            if m:
                sp = prep.span_of(m.start(), m.end())
                add("unlawful", 1.0, f"фраза из стоп-листа: «{orig}»", sp)
        # --- spam ---
        lex = 0.0
        spam_reasons: list[str] = []
        spam_spans: list[tuple[int, int]] = []
        for a, b, w, reason in lx.spam_hits(phrase, starts):
            lex += w
            spam_reasons.append(reason)
            spam_spans.append(prep.span_of(a, b))
        ext = [u for u in prep.urls if not _is_official(u[2])]
        if ext:
            lex += 0.4 if len(ext) == 1 else 0.6
            spam_reasons.append("ссылка")
            spam_spans.extend((s, e) for s, e, _ in ext)
        if any("t.me" in u[2].lower() or "wa.me" in u[2].lower() for u in ext) or prep.handles:
            lex += 0.3
            spam_reasons.append("ссылка на Telegram")
            spam_spans.extend(prep.handles)
        if prep.phones and not lx.COMPLAINT_RE.search(phrase):
            # a phone in a complaint is the citizen's own or a service's; in an ad it is the ad
            lex += 0.3
            if "объявление" in spam_reasons:
                lex += 0.5
                spam_reasons.append("объявление с телефоном")
            else:
                spam_reasons.append("номер телефона")
            spam_spans.extend(prep.phones)
        mixed = sum(1 for t in prep.tokens if t.disguise.startswith("латинская") and len(t.low) > 3)
        if mixed >= 2 and "obscenity" not in cats:
            lex += 0.6
            spam_reasons.append("слова с подменой букв")
        # a phone or link alone is information, not spam; it needs an advertising signal with it
        # a short comment with no advertising word needs a very sure model: single words such as
        # "пишите" weigh a lot in a five-word text
        model_th = self.th_spam if lex > 0 or len(prep.words) >= 10 else max(self.th_spam, 0.97)
        spam_flag = (
            (
                lex >= 1.0
                and any(
                    r not in ("ссылка", "номер телефона", "ссылка на Telegram")
                    for r in spam_reasons
                )
            )
            or p_spam >= model_th
            or (lex >= 0.5 and p_spam >= 0.45)
        )
        if spam_flag:
            uniq = list(dict.fromkeys(spam_reasons)) or ["рекламный текст (оценка модели)"]
            add("spam", max(p_spam, min(1.0, lex) * 0.95), "спам: " + joined(uniq[:3]), None)
            for sp in spam_spans:
                if sp[1] > sp[0] and sp not in spans:
                    spans.append(sp)
        # --- model alone: a threat or a rude comment without listed words ---
        long = len(text) > LONG
        th_threat = self.th_threat_long if long else self.th_threat
        th_toxic = self.th_toxic_long if long else self.th_toxic
        if "threat" not in cats and p_threat >= th_threat:
            add(
                "threat",
                p_threat,
                f"угроза или призыв к насилию (оценка модели {p_threat:.2f})",
                None,
            )
        if not ({"obscenity", "insult", "threat"} & cats.keys()) and len(set(prep.words)) >= 2:
            # a comment aimed at the reader («ты», «вы») needs less to be an insult; one word
            # alone («тупик») is never enough for the model: the word lists judge single words
            addressed = (
                not long and p_toxic >= self.th_toxic_addressed and lx.ADDRESS_RE.search(phrase)
            )
            if p_toxic >= th_toxic or addressed:
                add("insult", p_toxic, f"оскорбительный тон (оценка модели {p_toxic:.2f})", None)
        if not cats:
            return Verdict((), round(min(max(p_toxic, p_threat, p_spam), 0.49), 4), (), ())
        for c in ("obscenity", "insult", "threat"):
            if c in cats:
                cats[c] = max(cats[c], min(0.99, p_toxic))
        ordered = tuple(c for c in CATEGORIES if c in cats)
        spans.sort()
        return Verdict(ordered, round(max(cats.values()), 4), tuple(reasons), tuple(spans))


@lru_cache(maxsize=1)
def load_default() -> Classifier:
    return Classifier()


def classify_stream(inp: TextIO, out: TextIO, classifier: Classifier | None = None) -> int:
    """JSON lines in, JSON lines out, in order; malformed lines yield an error line and go on."""
    clf = classifier or load_default()
    n = 0
    for line in inp:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("ожидался JSON-объект")
        except ValueError as exc:
            out.write(
                json.dumps({"id": None, "error": f"malformed line: {exc}"}, ensure_ascii=False)
            )
            out.write("\n")
            n += 1
            continue
        text = obj.get("text")
        if not isinstance(text, str):
            rec = {"id": obj.get("id"), "error": "field 'text' must be a string"}
        else:
            v = clf.classify(text)
            rec = {"id": obj.get("id"), "categories": list(v.categories), "score": v.score}
        out.write(json.dumps(rec, ensure_ascii=False))
        out.write("\n")
        n += 1
    out.flush()
    return n


def mark(text: str, verdict: Verdict, left: str = "‹", right: str = "›") -> str:
    """Wrap the offending spans for the editor's card (overlapping spans merged)."""
    merged: list[list[int]] = []
    for s, e in sorted(verdict.spans):
        s, e = max(0, s), min(len(text), e)
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out = text
    for s, e in reversed(merged):
        out = out[:s] + left + out[s:e] + right + out[e:]
    return out


def joined(reasons: list[str]) -> str:
    """Reasons in one phrase, a shared last word said once: «обещание и суммы заработка»,
    not «обещание заработка и суммы заработка»."""
    groups: list[list[str]] = []  # reasons that end with the same word, in order of coming
    for reason in reasons:
        last = reason.rsplit(" ", 1)[-1]
        group = next((g for g in groups if " " in reason and g[0].endswith(f" {last}")), None)
        if group is None:
            groups.append([reason])
        else:
            group.append(reason)
    phrases = [
        g[0]
        if len(g) == 1
        else " и ".join(r.rsplit(" ", 1)[0] for r in g) + " " + g[0].rsplit(" ", 1)[1]
        for g in groups
    ]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " и " + phrases[-1]
