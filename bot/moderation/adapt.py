"""Nightly: the shipped model adapted to the editors' decisions (`retrain_from_decisions`).

Without the shared data on the office's machine: the shipped model's weights are the start and the
project's own written examples plus every editor's decision are fitted on top, so the office's
corrections win where they apply and the rest of the model stays as shipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .corpus import Corpus, own_corpus
from .model import DEFAULT_MODEL_PATH, DIM, HEADS
from .modelfile import TrainReport, featurize, forget_default, save_model

DECISION_WEIGHT = 50.0  # one editor's decision outweighs many written examples on its own words
ADAPT_L2 = 1.0


def adapt(
    decisions: Iterable[tuple[str, str, bool]],
    out: Path,
    base: Path = DEFAULT_MODEL_PATH,
) -> TrainReport:
    """The base model plus a correction fitted to the own written examples and the decisions.

    Needs only the repo: the correction is fitted with the base model's own score as an offset
    (L-BFGS over the features these texts have), so a decision moves the verdicts on its words and
    leaves the rest of the model as shipped. Always starts from `base`, never from last night's
    result, so corrections do not pile up.
    """
    from scipy.optimize import minimize

    decisions = list(decisions)
    with np.load(base) as z:
        stored = {k: z[k] for k in z.files}
    stored_heads = [str(h) for h in stored.get("heads", np.array(["toxic", "spam"]))]
    heads = list(HEADS)
    weights = np.zeros((len(HEADS), DIM), dtype=np.float32)
    bias = np.full(len(HEADS), -30.0)
    for j, head in enumerate(stored_heads):
        weights[heads.index(head)] = stored["weights"][j]
        bias[heads.index(head)] = stored["bias"][j]
    th = {str(k): float(v) for k, v in zip(stored["th_names"], stored["th_values"], strict=True)}
    c = Corpus()
    own_corpus(c, lambda t: True)
    for t, head, label in decisions:
        if head not in ("toxic", "spam"):
            raise ValueError(f"unknown head {head!r}")
        c.head(head).append((t, bool(label), DECISION_WEIGHT, "extra"))
    n_train: dict[str, int] = {}
    for head in ("toxic", "spam"):
        if head not in heads or not any(r[3] == "extra" for r in c.head(head)):
            continue
        i = heads.index(head)
        rows = c.head(head)
        X = featurize([r[0] for r in rows])
        cols = np.unique(X.indices)  # the features these texts have (CSR: column indices)
        Xs = X[:, cols].tocsr()
        y = np.array([r[1] for r in rows], dtype=np.float64)
        w = np.array([r[2] for r in rows], dtype=np.float64)
        offset = Xs @ weights[i, cols].astype(np.float64) + bias[i]

        def loss(delta: np.ndarray, Xs=Xs, y=y, w=w, offset=offset) -> tuple[float, np.ndarray]:
            z = offset + Xs @ delta
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            ll = -(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum()
            grad = Xs.T @ (w * (p - y))
            return ll + ADAPT_L2 * float(delta @ delta), grad + 2 * ADAPT_L2 * delta

        res = minimize(loss, np.zeros(len(cols)), jac=True, method="L-BFGS-B")
        weights[i, cols] += res.x.astype(np.float32)
        n_train[head] = len(rows)
    save_model(out, weights, bias, th)
    forget_default(out)
    return TrainReport(
        path=out,
        n_train=n_train,
        thresholds=th,
        metrics={"decisions": float(len(decisions))},
        size_bytes=out.stat().st_size,
    )
