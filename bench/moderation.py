"""Moderation benchmark: `uv run --frozen python -m bench.moderation`.

Evaluates on the held-back 10 % of the shared data (never trained on), on the project's held-back
criticism/clean comments plus a criticism set that is never trained on, and on a small hand-written
per-category set. The last output line is one JSON object.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bot.moderation import Classifier
from bot.moderation import lexicon as lx
from bot.moderation import model as md
from bot.moderation import normalize as nz
from bot.moderation.train import PKG_DATA, load_corpus, read_lines, shared_data_dir

TOXIC_CATS = {"obscenity", "insult", "threat"}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def binary(
    clf: Classifier, rows: list[tuple[str, bool]], cats: set[str]
) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for text, label in rows:
        hit = bool(cats & set(clf.classify(text).categories))
        tp += hit and label
        fp += hit and not label
        fn += (not hit) and label
    return prf(tp, fp, fn)


class DictionaryBot:
    """The reference: how a typical word-list moderation bot decides (substring stop-words for
    мат and insults, links and money words for spam), to compare quality and speed with."""

    TOXIC = (
        "хуй",
        "хуе",
        "пизд",
        "еба",
        "ебу",
        "бля",
        "сука",
        "мудак",
        "пидор",
        "дебил",
        "идиот",
        "урод",
        "тварь",
        "мраз",
        "дура",
        "козел",
        "быдл",
        "убью",
    )
    SPAM = ("http", "t.me/", "заработ", "в лс", "доход", "казино", "крипт", "подпис")

    @dataclass(frozen=True)
    class Result:
        categories: tuple[str, ...]

        @property
        def flagged(self) -> bool:
            return bool(self.categories)

    def classify(self, text: str) -> Result:
        low = text.lower()
        cats = []
        if any(w in low for w in self.TOXIC):
            cats.append("insult")
        if any(w in low for w in self.SPAM):
            cats.append("spam")
        return self.Result(tuple(cats))


def main() -> dict[str, float]:
    clf = Classifier()
    ho = load_corpus(held_out=True)
    print(f"data: {shared_data_dir()}")
    tox = [(t, y) for t, y, _, s in ho.toxic if s in ("toxic", "neutral")]
    spam = [(t, y) for t, y, _, s in ho.spam if s in ("spam", "ham")]
    print(f"held-out: toxic/neutral {len(tox)}, spam/ham {len(spam)}")
    tp_, tr_, tf_ = binary(clf, tox, TOXIC_CATS)
    sp_, sr_, sf_ = binary(clf, spam, {"spam"})
    print(
        f"toxic (any of obscenity/insult/threat) vs neutral: P={tp_:.3f} R={tr_:.3f} F1={tf_:.3f}"
    )
    print(f"spam vs ham:                                     P={sp_:.3f} R={sr_:.3f} F1={sf_:.3f}")
    # own held-out Russian examples (short VK-style)
    own_t = [(t, y) for t, y, _, s in ho.toxic if s in ("toxic_ru", "clean", "criticism")]
    own_s = [(t, y) for t, y, _, s in ho.spam if s in ("spam_ru", "clean", "criticism")]
    p, r, f = binary(clf, own_t, TOXIC_CATS)
    print(f"  (positives in own toxic held-out: {sum(y for _, y in own_t)})")
    print(
        f"own held-out toxic_ru vs clean ({len(own_t)}):           P={p:.3f} R={r:.3f} F1={f:.3f}"
    )
    p, r, f = binary(clf, own_s, {"spam"})
    print(
        f"own held-out spam_ru vs clean ({len(own_s)}):            P={p:.3f} R={r:.3f} F1={f:.3f}"
    )

    # per category on the hand-written set; negatives = lawful criticism
    cat_rows: list[tuple[str, str]] = []
    for line in (PKG_DATA / "categories_eval.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            c, t = line.split("\t", 1)
            cat_rows.append((c, t))
    crit = [t for t, _, _, s in ho.toxic if s == "criticism"]
    crit += read_lines(PKG_DATA / "criticism_eval.txt")
    verdicts = [(c, set(clf.classify(t).categories)) for c, t in cat_rows]
    verdicts += [("", set(clf.classify(t).categories)) for t in crit]
    print("per category (hand-written set, negatives include criticism):")
    for cat in ("obscenity", "insult", "threat", "spam", "unlawful"):
        tp = sum(1 for c, v in verdicts if c == cat and cat in v)
        fn = sum(1 for c, v in verdicts if c == cat and cat not in v)
        fp = sum(1 for c, v in verdicts if c == "" and cat in v)
        p, r, f = prf(tp, fp, fn)
        print(f"  {cat:10s} P={p:.3f} R={r:.3f} F1={f:.3f} (n={tp + fn})")
    flagged = [t for t in crit if clf.classify(t).flagged]
    crit_fp = len(flagged) / max(1, len(crit))
    print(f"criticism FP: {len(flagged)}/{len(crit)} = {crit_fp:.3f}")
    for t in flagged:
        print("   flagged criticism:", t, clf.classify(t).reasons)

    # throughput: a fresh process-level cache state, 20,000 distinct comments, one core
    texts: list[str] = []
    d = shared_data_dir()
    for name in ("neutral.txt", "toxic.txt", "ham-samples.txt"):
        texts += read_lines(d / name)
    texts = texts[:20_000]
    for fn_ in (nz.analyse_word, md.word_features, lx.obscene_root, lx.insult_kind):
        fn_.cache_clear()
    fresh = Classifier()
    t0 = time.perf_counter()
    for t in texts:
        fresh.classify(t)
    dt = time.perf_counter() - t0
    cps = len(texts) / dt
    print(f"throughput: {len(texts)} comments in {dt:.2f}s = {cps:.0f} comments/s (one process)")
    ref = DictionaryBot()
    _, _, ref_tf = binary(ref, tox, TOXIC_CATS)
    _, _, ref_sf = binary(ref, spam, {"spam"})
    ref_fp = sum(ref.classify(t).flagged for t in crit) / max(1, len(crit))
    t0 = time.perf_counter()
    for t in texts:
        ref.classify(t)
    ref_cps = len(texts) / (time.perf_counter() - t0)
    print(
        f"reference (a word-list bot): toxic F1={ref_tf:.3f} spam F1={ref_sf:.3f} "
        f"criticism FP={ref_fp:.3f} {ref_cps:.0f} comments/s; "
        f"our speed is {cps / ref_cps:.3f} of it"
    )
    size = Path(md.DEFAULT_MODEL_PATH).stat().st_size
    result = {
        "spam_f1": round(sf_, 4),
        "toxic_f1": round(tf_, 4),
        "toxic_precision": round(tp_, 4),
        "toxic_recall": round(tr_, 4),
        "spam_precision": round(sp_, 4),
        "spam_recall": round(sr_, 4),
        "criticism_fp": round(crit_fp, 4),
        "criticism_n": len(crit),
        "comments_per_s": round(cps, 1),
        "model_bytes": size,
        "reference_toxic_f1": round(ref_tf, 4),
        "reference_spam_f1": round(ref_sf, 4),
        "reference_criticism_fp": round(ref_fp, 4),
        "reference_comments_per_s": round(ref_cps, 1),
        "speed_ratio": round(cps / ref_cps, 4),
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
