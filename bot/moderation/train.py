"""Rebuild the moderation model from the shared data, own examples and editors' decisions.

Run: `pressdesk moderation train` (or `python -m bot.moderation.train`). scikit-learn is needed only
here. The result is byte-for-byte the same for the same inputs (liblinear with a fixed seed, no
dates in the file), so the shipped `data/model.npz` can be rebuilt from the repo and the shared
data.

What is read and how it is split: `corpus`; thresholds: `calibrate`; the model file: `modelfile`.

Nightly, the shipped model is adapted to the editors' decisions instead: `adapt`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .adapt import ADAPT_L2, DECISION_WEIGHT, adapt
from .calibrate import calibrate
from .corpus import (
    PATTERNS,
    PKG_DATA,
    REPO,
    Corpus,
    Row,
    add_decisions,
    is_calibration,
    is_held_out,
    load_corpus,
    own_corpus,
    read_labelled,
    read_lines,
    read_ok,
    shared_data_dir,
)
from .model import DEFAULT_MODEL_PATH, DIM, HEADS
from .modelfile import TrainReport, featurize, forget_default, save_model

__all__ = [
    "ADAPT_L2",
    "DECISION_WEIGHT",
    "PATTERNS",
    "PKG_DATA",
    "REPO",
    "Corpus",
    "MissingTrainingData",
    "Row",
    "TrainReport",
    "adapt",
    "add_decisions",
    "calibrate",
    "featurize",
    "is_calibration",
    "is_held_out",
    "load_corpus",
    "own_corpus",
    "read_labelled",
    "read_lines",
    "read_ok",
    "shared_data_dir",
    "train",
]


def _balanced(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    # balance the classes through sample weights (spam and threats are small minorities)
    pos = w[y == 1].sum()
    neg = w[y == 0].sum()
    return np.where(y == 1, w * (pos + neg) / (2 * pos), w * (pos + neg) / (2 * neg))


def _fit(rows: list[Row], C: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    X = featurize([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=np.int8)
    w = _balanced(y, np.array([r[2] for r in rows], dtype=np.float64))
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=300, random_state=0)
    clf.fit(X, y, sample_weight=w)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def _threat_out_of_fold(rows: list[Row], C: float, folds: int = 3) -> list[tuple[str, bool, float]]:
    """The trained-on Odnoklassniki comments' threat probabilities, each from a head fitted
    without its fold: a held-out sample ten times the calibration slice's for the threshold."""
    from .corpus import _slice

    out: list[tuple[str, bool, float]] = []
    for k in range(folds):
        test = [r for r in rows if r[3] == "ok" and _slice(r[0]) % folds == k]
        seen = {r[0] for r in test}
        w, b = _fit([r for r in rows if r[0] not in seen], C)
        z = featurize([r[0] for r in test]) @ w.astype(np.float64) + b
        out += [(r[0], r[1], float(p)) for r, p in zip(test, 1 / (1 + np.exp(-z)), strict=True)]
    return out


SHARED_FILES = ("toxic.txt", "neutral.txt", "spam-samples.txt", "ham-samples.txt")
C_BY_HEAD = {"toxic": 4.0, "threat": 4.0, "spam": 8.0}


class MissingTrainingData(FileNotFoundError):
    """Training without the labelled data would quietly build a much weaker model."""


def train(
    extra_examples: Iterable[tuple[str, str, bool]] = (), out: Path = DEFAULT_MODEL_PATH
) -> TrainReport:
    missing = [name for name in SHARED_FILES if not (shared_data_dir() / name).exists()]
    if missing:
        raise MissingTrainingData(
            f"Нет обучающих данных в {shared_data_dir()}: {', '.join(missing)}. "
            "Укажите папку с ними в переменной PRESSDESK_MODERATION_DATA."
        )
    tr = load_corpus("train", extra=extra_examples)
    weights = np.zeros((len(HEADS), DIM), dtype=np.float32)
    bias = np.zeros(len(HEADS), dtype=np.float64)
    for i, head in enumerate(HEADS):
        weights[i], bias[i] = _fit(tr.head(head), C=C_BY_HEAD[head])
    save_model(out, weights, bias, {"toxic": 0.9, "toxic_support": 0.6, "threat": 0.9, "spam": 0.5})
    th, metrics = calibrate(out, _threat_out_of_fold(tr.threat, C_BY_HEAD["threat"]))
    save_model(out, weights, bias, th)
    forget_default(out)
    return TrainReport(
        path=out,
        n_train={h: len(tr.head(h)) for h in HEADS},
        thresholds=th,
        metrics=metrics,
        size_bytes=out.stat().st_size,
    )


if __name__ == "__main__":
    print(train())
