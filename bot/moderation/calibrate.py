"""Thresholds from the calibration split: best F1 with clean and criticism rows flagged rarely, and
long-comment thresholds that keep long ordinary comments flagged no more often than short ones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .corpus import Row, _joined, load_corpus


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _best(
    rows: list[tuple[bool, bool, float, bool]], grid: np.ndarray, max_fp_clean: float
) -> tuple[float, float]:
    """(F1, threshold) with the best F1 whose share of flagged clean rows stays under the cap.

    rows: (label, flagged by the lexicons alone, model probability, is a clean/criticism row).
    Ties go to the middle of the best plateau."""
    n_clean = max(1, sum(r[3] for r in rows))
    scored: list[tuple[float, float]] = []
    for th in grid:
        flags = [lex or p >= th for _, lex, p, _ in rows]
        fp_clean = sum(f for f, r in zip(flags, rows, strict=True) if r[3]) / n_clean
        if fp_clean > max_fp_clean:
            continue
        tp = sum(f and r[0] for f, r in zip(flags, rows, strict=True))
        fp = sum(f and not r[0] for f, r in zip(flags, rows, strict=True))
        fn = sum((not f) and r[0] for f, r in zip(flags, rows, strict=True))
        scored.append((_f1(tp, fp, fn), float(th)))
    if not scored:
        return 0.0, float(grid[-1])
    top = max(f for f, _ in scored)
    plateau = [th for f, th in scored if f >= top - 0.002]
    return top, plateau[len(plateau) // 2]


def calibrate(
    model_path: Path, threat_out_of_fold: Sequence[tuple[str, bool, float]] = ()
) -> tuple[dict[str, float], dict[str, float]]:
    """Thresholds from the calibration split: best F1 with clean/criticism flagged ≤ 1 %.

    The calibration slice holds only about 25 labelled threats, so the threat threshold is also
    picked on `threat_out_of_fold`: (text, label, probability) of the trained-on Odnoklassniki
    comments, each scored by a threat head fitted without it (about 230 threats more)."""
    from .classifier import Classifier, prepare
    from .words import ADDRESS_RE

    cal = load_corpus("calibration")
    clf = Classifier(model_path)
    clf.th_toxic = clf.th_toxic_support = clf.th_threat = clf.th_spam = 2.0  # lexicons only
    clf.th_toxic_long = clf.th_threat_long = 2.0
    clean_sources = ("criticism", "clean", "long_clean", "near_miss", "phone_complaint")

    def rows(corpus: list[Row], cats: set[str], head: int) -> list[tuple[bool, bool, float, bool]]:
        out = []
        for t, y, _, s in corpus:
            v = clf.classify(t)
            out.append((y, bool(cats & set(v.categories)), clf.scores(t)[head], s in clean_sources))
        return out

    grid = np.arange(0.5, 0.99, 0.01)
    toxic_rows = rows(cal.toxic, {"obscenity", "insult", "threat"}, 0)
    f_t, th_toxic = _best(toxic_rows, grid, 0.01)
    threat_rows = rows(cal.threat, {"threat"}, 1) + [
        (y, "threat" in clf.classify(t).categories, p, False) for t, y, p in threat_out_of_fold
    ]
    f_h, th_threat = _best(threat_rows, grid, 0.005)
    f_s, th_spam = _best(rows(cal.spam, {"spam"}, 2), np.arange(0.3, 0.96, 0.02), 0.01)
    # floors: comment sets from elsewhere are harsher on false flags than our calibration slice
    th_toxic, th_threat = max(0.7, th_toxic), max(0.7, th_threat)
    # A comment aimed at the reader («ты», «вы») is an insult at a lower score, but criticism is
    # addressed to officials the same way: among the slice's addressed comments, the best F1 with
    # no ordinary or critical one flagged, never under 0.6 nor over the plain threshold.
    addressed = [
        r
        for r, (t, *_) in zip(toxic_rows, cal.toxic, strict=True)
        if ADDRESS_RE.search(prepare(t).phrase)
    ]
    _, th_addressed = _best(addressed, np.arange(0.6, th_toxic + 0.001, 0.01), 0.0)
    # No length bias: a model-only flag on a long ordinary comment must be no likelier than on a
    # short one. Long ordinary texts are made of the slice's ordinary comments; the long
    # threshold is the lowest one at which they are flagged at most half as often as short ones.
    short = [r[0] for r in cal.toxic if not r[1] and len(r[0]) < 200]
    long_texts = _joined(short, 200, 600, 3) + _joined(short, 800, 600, 4)
    probs_short = [clf.scores(t) for t in short]
    probs_long = [clf.scores(t) for t in long_texts]

    def long_threshold(head: int, th: float) -> float:
        # half the short comments' rate: a long comment also meets more listed words and phrases
        # as it grows, so the model alone gets less room for the total to stay as low
        base = sum(p[head] >= th for p in probs_short) / max(1, len(probs_short)) / 2
        for cand in np.arange(th, 0.999, 0.005):
            if sum(p[head] >= cand for p in probs_long) / max(1, len(probs_long)) <= base:
                return float(cand)
        return 0.999

    th = {
        "toxic": th_toxic,
        "toxic_long": long_threshold(0, th_toxic),
        "toxic_support": max(0.5, th_toxic - 0.2),
        "toxic_addressed": min(th_toxic, th_addressed),
        "threat": th_threat,
        "threat_long": long_threshold(1, th_threat),
        "spam": max(0.5, th_spam),
    }
    return th, {"toxic_f1_calib": f_t, "threat_f1_calib": f_h, "spam_f1_calib": f_s}
