"""Moderation benchmark: `uv run --frozen python -m bench.moderation`.

Every figure is printed for the current classifier and, in the same run, for the reference: the
classifier as shipped before issue 16 (`bench/moderation_ref`, code and model frozen).

Data, none of it trained on:
- the dev split: the held-back 10 % of every shared source (crc32 of the normalised text, see
  `bot.moderation.train.is_held_out`) — forum comments (toxic.txt vs neutral.txt), Odnoklassniki
  comments with per-category labels (ok_mlcup_train.tsv), Telegram spam vs chat messages;
- the project's own written pattern sets, `bot/moderation/data/patterns/*_eval.*` and
  `criticism_eval.txt`, written apart from the training files (other words, other sentences);
- long ordinary comments: the written ones plus held-back ordinary comments (with no word from the
  reference's lexicons) joined into 200-800 and over-800-character texts, so each length band has
  enough of them.
The last output line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from bench import moderation_ref
from bot.moderation import Classifier
from bot.moderation import lexicon as lx
from bot.moderation import model as md
from bot.moderation import normalize as nz
from bot.moderation.train import (
    PATTERNS,
    PKG_DATA,
    is_held_out,
    read_labelled,
    read_lines,
    read_ok,
    shared_data_dir,
)

TOXIC = frozenset({"obscenity", "insult", "threat"})
# Per category, what counts as a hit: an Odnoklassniki "insult" is mostly мат aimed at someone,
# so an insult label is met by either of our two word categories.
CATEGORY_HITS = {
    "obscenity": frozenset({"obscenity"}),
    "insult": frozenset({"insult", "obscenity"}),
    "threat": frozenset({"threat"}),
}
BANDS = ("<50", "50-200", "200-800", ">800")


class Verdicts(Protocol):
    def classify(self, text: str) -> object: ...


def band(text: str) -> str:
    n = len(text)
    return "<50" if n < 50 else "50-200" if n < 200 else "200-800" if n <= 800 else ">800"


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass
class Sets:
    """Every evaluation set: (text, labels) with labels a set of categories, empty for clean."""

    forum: list[tuple[str, bool]] = field(default_factory=list)
    ok: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    spam: list[tuple[str, bool]] = field(default_factory=list)
    patterns: dict[str, list[tuple[str, frozenset[str]]]] = field(default_factory=dict)
    criticism: list[str] = field(default_factory=list)
    ordinary: list[str] = field(default_factory=list)  # not toxic, not spam: for FPR by length


def _joined(texts: list[str], lo: int, hi: int, n: int, salt: str) -> list[str]:
    """n texts of lo..hi characters made of whole ordinary comments, deterministic."""
    out: list[str] = []
    i = zlib.crc32(salt.encode()) % max(1, len(texts))
    while len(out) < n and texts:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < lo:
            parts.append(texts[i % len(texts)])
            i += 7
        text = " ".join(parts)
        if len(text) <= hi:
            out.append(text)
        i += 1
    return out


def load_sets() -> Sets:
    d = shared_data_dir()
    s = Sets()
    s.forum = [(t, True) for t in read_lines(d / "toxic.txt") if is_held_out(t)]
    neutral = [t for t in read_lines(d / "neutral.txt") if is_held_out(t)]
    s.forum += [(t, False) for t in neutral]
    s.ok = [(t, frozenset(labels)) for t, labels in read_ok(d) if is_held_out(t)]
    s.spam = [(t, True) for t in read_lines(d / "spam-samples.txt") if is_held_out(t)]
    s.spam += [(t, False) for t in read_lines(d / "ham-samples.txt") if is_held_out(t)]
    for name, (labels, negative) in PATTERNS.items():
        if name.endswith(".tsv"):
            continue
        path = PKG_DATA / "patterns" / f"{name}_eval.txt"
        cats = frozenset() if negative else frozenset(labels)
        s.patterns[name] = [(t, cats) for t in read_lines(path)]
    vk = read_labelled(PKG_DATA / "patterns" / "vk_reply_eval.tsv")
    by_label = {"clean": frozenset(), "toxic": TOXIC, "spam": frozenset({"spam"})}
    s.patterns["vk_reply"] = [(t, by_label[lab]) for lab, t in vk]
    for c, t in read_labelled(PKG_DATA / "categories_eval.tsv"):
        s.patterns.setdefault("categories", []).append((t, frozenset({c})))
    s.criticism = read_lines(PKG_DATA / "criticism_eval.txt")
    ok_clean = [t for t, labels in s.ok if not labels]
    s.ordinary = (
        neutral
        + ok_clean
        + s.criticism
        + [
            t
            for name in ("long_clean", "near_miss", "phone_complaint")
            for t, _ in s.patterns[name]
        ]
    )
    # joined from comments with no word of the reference's lexicons (judged by the frozen
    # reference, so the pool does not depend on the classifier measured): what is left to flag in
    # them is the length itself
    words_only = moderation_ref.Classifier()
    words_only.th_toxic = words_only.th_toxic_support = words_only.th_spam = 2.0
    pool = [t for t in ok_clean + neutral[:400] + s.criticism if not words_only.classify(t).flagged]
    s.ordinary += _joined(pool, 200, 800, 150, "mid") + _joined(pool, 801, 2500, 150, "long")
    return s


def evaluate(clf: Verdicts, s: Sets) -> dict[str, float]:
    memo: dict[str, frozenset[str]] = {}

    def cats(text: str) -> frozenset[str]:
        hit = memo.get(text)
        if hit is None:
            hit = memo[text] = frozenset(clf.classify(text).categories)  # type: ignore[attr-defined]
        return hit

    r: dict[str, float] = {}

    def binary(rows: Iterable[tuple[str, bool]], hits: frozenset[str]) -> tuple[int, int, int]:
        tp = fp = fn = 0
        for text, label in rows:
            got = bool(hits & cats(text))
            tp += got and label
            fp += got and not label
            fn += label and not got
        return tp, fp, fn

    r["forum_toxic_f1"] = f1(*binary(s.forum, TOXIC))
    r["ok_toxic_f1"] = f1(*binary(((t, bool(lab)) for t, lab in s.ok), TOXIC))
    for c, hits in CATEGORY_HITS.items():
        r[f"ok_{c}_f1"] = f1(*binary(((t, c in lab) for t, lab in s.ok), hits))
    r["dev_spam_f1"] = f1(*binary(s.spam, frozenset({"spam"})))
    # pattern sets: recall on each positive set, flagged share on each clean one
    for name, rows in s.patterns.items():
        pos = [(t, lab) for t, lab in rows if lab]
        neg = [t for t, lab in rows if not lab]
        if pos:
            r[f"pattern_{name}_recall"] = sum(bool(lab & cats(t)) for t, lab in pos) / len(pos)
        if neg:
            r[f"pattern_{name}_fp"] = sum(bool(cats(t)) for t in neg) / len(neg)
    rows = [(t, lab) for name, rs in s.patterns.items() for t, lab in rs if name != "categories"]
    r["pattern_toxic_f1"] = f1(*binary(((t, bool(lab & TOXIC)) for t, lab in rows), TOXIC))
    r["pattern_spam_f1"] = f1(*binary(((t, "spam" in lab) for t, lab in rows), frozenset({"spam"})))
    for c in ("obscenity", "insult", "threat", "spam", "unlawful"):
        tp = sum(1 for t, lab in s.patterns["categories"] if c in lab and c in cats(t))
        fn = sum(1 for t, lab in s.patterns["categories"] if c in lab and c not in cats(t))
        fp = sum(1 for t in s.criticism if c in cats(t))
        r[f"written_{c}_f1"] = f1(tp, fp, fn)
    r["criticism_fp"] = sum(bool(cats(t)) for t in s.criticism) / max(1, len(s.criticism))
    dev = [t for t, _ in s.forum] + [t for t, _ in s.ok] + [t for t, _ in s.spam] + s.ordinary
    r["dev_flagged_share"] = sum(bool(cats(t)) for t in dev) / max(1, len(dev))
    by: dict[str, list[int]] = {b: [0, 0] for b in BANDS}
    for t in s.ordinary:
        b = by[band(t)]
        b[0] += 1
        b[1] += bool(cats(t))
    for b, (n, fp) in by.items():
        r[f"fpr_{b}"] = fp / max(1, n)
        r[f"n_{b}"] = n
    return r


def throughput(texts: list[str], chunk: int = 250) -> tuple[float, float]:
    """Comments a second of (current, reference) in one process, every cache cold at the start.

    The two take turns every `chunk` comments, so the drift of this shared machine's speed within
    a run falls on both alike."""
    _clear_current()
    _clear_ref()
    cur, ref = Classifier(), moderation_ref.Classifier()
    t_cur = t_ref = 0.0
    for i in range(0, len(texts), chunk):
        part = texts[i : i + chunk]
        t0 = time.perf_counter()
        for t in part:
            cur.classify(t)
        t1 = time.perf_counter()
        for t in part:
            ref.classify(t)
        t_cur += t1 - t0
        t_ref += time.perf_counter() - t1
    return len(texts) / t_cur, len(texts) / t_ref


def second_opinion(texts: list[str], delay: float, rub_per_1k: float) -> dict[str, float]:
    """The second opinion's round trip and tokens against the emulated endpoint (loopback)."""
    import asyncio

    from bot.config import SecondOpinionSettings
    from bot.moderation.second_opinion import SecondOpinion
    from emulators.llm import LLMEmulator

    async def run() -> dict[str, float]:
        llm = LLMEmulator(delay_seconds=delay)
        await llm.start()
        asker = SecondOpinion(
            SecondOpinionSettings(enabled=True, base_url=llm.base_url, model="emulated")
        )
        try:
            opinions = [await asker.ask(t, ["insult"]) for t in texts]
        finally:
            await asker.close()
            await llm.stop()
        secs = sorted(o.seconds for o in opinions)
        tokens = sum(o.tokens for o in opinions) / max(1, len(opinions))
        return {
            "asked": len(opinions),
            "answered": sum(o.confirmed is not None for o in opinions),
            "p50_ms": secs[len(secs) // 2] * 1000,
            "p95_ms": secs[int(len(secs) * 0.95)] * 1000,
            "tokens_per_ask": tokens,
            "rub_per_ask": tokens / 1000 * rub_per_1k,
        }

    return asyncio.run(run())


def _clear_current() -> None:
    from bot.moderation.classifier import _judge_word

    for fn in (nz.analyse_word, md.word_features, lx.obscene_root, lx.insult_kind, _judge_word):
        fn.cache_clear()
    lx.PHRASE_BOOK.forget()


def _clear_ref() -> None:
    from bench.moderation_ref import lexicon, model, normalize

    for fn in (normalize.analyse_word, model.word_features, lexicon.obscene_root):
        fn.cache_clear()
    lexicon.insult_kind.cache_clear()


ROWS = [
    ("forum_toxic_f1", "dev: forum comments, toxic F1"),
    ("ok_toxic_f1", "dev: Odnoklassniki, toxic F1"),
    ("ok_obscenity_f1", "dev: Odnoklassniki, obscenity F1"),
    ("ok_insult_f1", "dev: Odnoklassniki, insult F1"),
    ("ok_threat_f1", "dev: Odnoklassniki, threat F1"),
    ("dev_spam_f1", "dev: Telegram spam vs chat, spam F1"),
    ("pattern_toxic_f1", "patterns: toxic F1"),
    ("pattern_spam_f1", "patterns: spam F1"),
]


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=20_000, help="texts for the throughput run")
    ap.add_argument("--rounds", type=int, default=3, help="throughput runs of each classifier")
    ap.add_argument(
        "--llm-delay", type=float, default=0.0, help="the emulated endpoint's own answer time, s"
    )
    ap.add_argument(
        "--rub-per-1k-tokens",
        type=float,
        default=0.0,
        help="the endpoint's price, for the cost figure (set your contract's price)",
    )
    args = ap.parse_args(argv)
    s = load_sets()
    print(f"data: {shared_data_dir()}")
    print(
        f"dev split: forum {len(s.forum)}, Odnoklassniki {len(s.ok)}, spam/ham {len(s.spam)}; "
        f"pattern sets {sum(len(v) for v in s.patterns.values())}; criticism {len(s.criticism)}; "
        f"ordinary comments for FPR by length {len(s.ordinary)}"
    )
    cur = evaluate(Classifier(), s)
    ref = evaluate(moderation_ref.Classifier(), s)
    extra = [k for k in cur if k.startswith(("pattern_", "written_"))]
    extra = [k for k in extra if k not in dict(ROWS)]
    print(f"{'':58s} {'current':>9s} {'reference':>9s}")
    for key, title in [*ROWS, *((k, k.replace("_", " ")) for k in extra)]:
        print(f"{title:58s} {cur[key]:9.3f} {ref.get(key, 0.0):9.3f}")
    print(
        f"{'criticism flagged (share)':58s} {cur['criticism_fp']:9.3f} {ref['criticism_fp']:9.3f}"
    )
    for b in BANDS:
        title = f"FPR, ordinary comments {b} chars (n={cur[f'n_{b}']:.0f})"
        print(f"{title:58s} {cur[f'fpr_{b}']:9.3f} {ref[f'fpr_{b}']:9.3f}")
    texts: list[str] = []
    d = shared_data_dir()
    for name in ("neutral.txt", "toxic.txt", "ham-samples.txt", "spam-samples.txt"):
        texts += read_lines(d / name)
    texts += [t for t, _ in read_ok(d)]
    texts = texts[:: max(1, len(texts) // args.comments)][: args.comments]
    runs = sorted((throughput(texts) for _ in range(args.rounds)), key=lambda r: r[0] / r[1])
    cps, ref_cps = runs[len(runs) // 2]  # the round with the median ratio
    print(
        f"throughput, {len(texts)} distinct comments, cold caches, one process: "
        f"{cps:.0f}/s (reference {ref_cps:.0f}/s, ratio {cps / ref_cps:.2f}; taking turns every "
        f"250 comments, the median of {args.rounds} rounds)"
    )
    flagged = [t for rows in s.patterns.values() for t, lab in rows if lab][:100]
    so = second_opinion(flagged, args.llm_delay, args.rub_per_1k_tokens)
    per_1000 = cur["dev_flagged_share"] * 1000
    print(
        f"second opinion (emulated endpoint, own delay {args.llm_delay:.2f} s): {so['asked']:.0f} "
        f"flagged comments asked, {so['answered']:.0f} answered; round trip p50 "
        f"{so['p50_ms']:.1f} ms, p95 {so['p95_ms']:.1f} ms; {so['tokens_per_ask']:.0f} tokens a "
        f"comment; asked about {per_1000:.0f} of every 1,000 comments (the dev mix's flagged "
        f"share) = {per_1000 * so['tokens_per_ask']:.0f} tokens, "
        f"{per_1000 * so['rub_per_ask']:.2f} ₽ per 1,000 comments at {args.rub_per_1k_tokens} ₽ "
        "per 1,000 tokens"
    )
    result = {k: round(v, 4) for k, v in cur.items()}
    result |= {f"second_opinion_{k}": round(v, 4) for k, v in so.items()}
    result |= {f"reference_{k}": round(v, 4) for k, v in ref.items()}
    result |= {"comments_per_s": round(cps, 1), "reference_comments_per_s": round(ref_cps, 1)}
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
