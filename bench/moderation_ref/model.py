"""Hashed linear model: word, word-bigram and char n-gram features, numpy-only at runtime.

Features are binary-ish counts hashed with zlib.crc32 into DIM buckets and scaled by 1/sqrt(n), so
a comment's score is bias + (sum of per-feature weights) / sqrt(n). That lets us cache, per word,
its summed weights: scoring a comment costs one dict lookup per word plus one hash per bigram.
The same `word_features` / `text_features` functions are used by train.py, so train and run agree.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

DIM = 1 << 19
HEADS = ("toxic", "spam")
DEFAULT_MODEL_PATH = Path(__file__).parent / "model.npz"
_MASK = DIM - 1


def _h(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) & _MASK


@lru_cache(maxsize=300_000)
def word_features(word: str) -> tuple[int, ...]:
    """Hashed unigram + char 3..5-grams of one normalised word (placeholders get only the word)."""
    feats = [_h("w:" + word)]
    if word.startswith("__"):
        return tuple(feats)
    padded = f"<{word}>"
    n = len(padded)
    for k in (3, 4, 5):
        if n < k:
            break
        for i in range(n - k + 1):
            feats.append(_h(padded[i : i + k]))
    return tuple(feats)


def bigram_feature(a: str, b: str) -> int:
    return _h("b:" + a + " " + b)


def text_features(words: list[str]) -> list[int]:
    feats: list[int] = []
    for w in words:
        feats.extend(word_features(w))
    for a, b in pairwise(words):
        feats.append(bigram_feature(a, b))
    if not feats:
        feats.append(word_features("__empty__")[0])
    return feats


class LinearModel:
    def __init__(self, path: Path = DEFAULT_MODEL_PATH) -> None:
        with np.load(path) as z:
            self.weights = z["weights"].astype(np.float32)  # (len(HEADS), DIM)
            self.bias = z["bias"].astype(np.float64)
            self.thresholds = {
                k: float(v) for k, v in zip(z["th_names"], z["th_values"], strict=True)
            }
        self._w = [self.weights[i] for i in range(len(HEADS))]
        self._word_cache: dict[str, tuple[float, float, int]] = {}

    def _word(self, word: str) -> tuple[float, float, int]:
        hit = self._word_cache.get(word)
        if hit is None:
            idx = np.fromiter(word_features(word), dtype=np.int64)
            hit = (float(self._w[0][idx].sum()), float(self._w[1][idx].sum()), len(idx))
            if len(self._word_cache) < 500_000:
                self._word_cache[word] = hit
        return hit

    def scores(self, words: list[str]) -> tuple[float, float]:
        """Probabilities (toxic, spam) for a list of normalised words."""
        t = s = 0.0
        n = 0
        for w in words:
            a, b, k = self._word(w)
            t += a
            s += b
            n += k
        w0, w1 = self._w
        for a, b in pairwise(words):
            i = bigram_feature(a, b)
            t += float(w0[i])
            s += float(w1[i])
            n += 1
        if n == 0:
            i = word_features("__empty__")[0]
            t, s, n = float(w0[i]), float(w1[i]), 1
        r = 1.0 / math.sqrt(n)
        return _sigmoid(self.bias[0] + t * r), _sigmoid(self.bias[1] + s * r)


def _sigmoid(x: float) -> float:
    if x < -30:
        return 0.0
    if x > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))
