"""Thresholds from the calibration split: best F1 with clean and criticism rows flagged rarely, and
long-comment thresholds that keep long ordinary comments flagged no more often than short ones."""

from __future__ import annotations

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


def calibrate(model_path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Thresholds from the calibration split: best F1 with clean/criticism flagged ≤ 1 %."""
    from .classifier import Classifier

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
    f_t, th_toxic = _best(rows(cal.toxic, {"obscenity", "insult", "threat"}, 0), grid, 0.01)
    f_h, th_threat = _best(rows(cal.threat, {"threat"}, 1), grid, 0.005)
    f_s, th_spam = _best(rows(cal.spam, {"spam"}, 2), np.arange(0.3, 0.96, 0.02), 0.01)
    # floors: comment sets from elsewhere are harsher on false flags than our calibration slice
    th_toxic, th_threat = max(0.7, th_toxic), max(0.7, th_threat)
    # No length bias: a model-only flag on a long ordinary comment must be no likelier than on a
    # short one. Long ordinary texts are made of the slice's ordinary comments; the long
    # threshold is the lowest one at which they are flagged no more often than short ones.
    short = [r[0] for r in cal.toxic if not r[1] and len(r[0]) < 200]
    long_texts = _joined(short, 200, 150, 3) + _joined(short, 800, 150, 4)
    probs_short = [clf.scores(t) for t in short]
    probs_long = [clf.scores(t) for t in long_texts]

    def long_threshold(head: int, th: float) -> float:
        base = sum(p[head] >= th for p in probs_short) / max(1, len(probs_short))
        for cand in np.arange(th, 0.999, 0.005):
            if sum(p[head] >= cand for p in probs_long) / max(1, len(probs_long)) <= base:
                return float(cand)
        return 0.999

    th = {
        "toxic": th_toxic,
        "toxic_long": long_threshold(0, th_toxic),
        "toxic_support": max(0.5, th_toxic - 0.2),
        "threat": th_threat,
        "threat_long": long_threshold(1, th_threat),
        "spam": max(0.5, th_spam),
    }
    return th, {"toxic_f1_calib": f_t, "threat_f1_calib": f_h, "spam_f1_calib": f_s}
