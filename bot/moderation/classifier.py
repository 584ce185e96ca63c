"""The moderation verdict: lexicons + hashed linear model, chat-agnostic."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from . import lexicon as lx
from .model import DEFAULT_MODEL_PATH, LinearModel
from .normalize import Token, spaced_words
from .prepared import Prepared, is_official, prepare
from .verdict import CATEGORIES, CLEAN, Verdict, joined, mark

__all__ = [
    "CATEGORIES",
    "CLEAN",
    "Classifier",
    "Prepared",
    "Verdict",
    "classify_stream",
    "joined",
    "load_default",
    "mark",
    "prepare",
]

LONG = 200  # characters: past this, model-only flags use their "_long" thresholds


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


def _idioms(prep: Prepared) -> list[tuple[int, int]]:
    """Spans of idioms where an insult word is aimed at nobody («не держите нас за дураков»)."""
    if " за " not in prep.phrase and " не " not in prep.phrase:
        return []
    return [prep.span_of(m.start(), m.end()) for m in lx.IDIOM_RE.finditer(prep.phrase)]


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
        idiom_spans: list[tuple[int, int]] | None = None  # worked out when an insult word is met
        lex_tokens = (
            prep.tokens + spaced_words(text, prep.tokens) if prep.letters >= 3 else prep.tokens
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
                continue
            if kind == "masked_insult":
                add("insult", score, f"оскорбление: «{orig}»{note}", span)
                continue
            if kind == "spaced_rude":
                add("insult", score, f"грубость: «{orig}» ({tok.disguise})", span)
                continue
            if idiom_spans is None:
                idiom_spans = _idioms(prep)
            if any(a <= tok.start < b for a, b in idiom_spans):
                continue  # "не держите нас за дураков": not aimed at anyone
            if kind == "weak":
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
        threat_hits, rude_hits, unlawful_hits, private_hits, spam_hits = lx.phrase_hits(phrase)
        for a, b, reason in threat_hits:
            sp = prep.span_of(a, b)
            add("threat", 0.9, f"{reason}: «{_q(text, sp)}»", sp)
        for a, b, reason in rude_hits:
            sp = prep.span_of(a, b)
            add("insult", 0.8, f"{reason}: «{_q(text, sp)}»", sp)
        for a, b, reason in unlawful_hits + private_hits:
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
        for a, b, w, reason in spam_hits:
            lex += w
            spam_reasons.append(reason)
            spam_spans.append(prep.span_of(a, b))
        ext = [u for u in prep.urls if not is_official(u[2])]
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
        if prep.mixed >= 2 and "obscenity" not in cats:
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
