"""Hashed linear model: word, word-bigram and char n-gram features, numpy-only at runtime.

Features are hashed with zlib.crc32 into DIM buckets. A comment's words count once each however
often they repeat (so "ха ха ха ха" weighs what "ха" does), and so do its bigrams; the sum is scaled
by 1/sqrt(n), n the number of features, so a comment's score per head is
bias + (sum of per-feature weights) / sqrt(n). That lets us cache, per word, its summed weights:
scoring a comment costs one dict lookup per distinct word plus one hash per distinct bigram.
The same `word_features` / `text_features` functions are used by train.py, so train and run agree.
"""

from __future__ import annotations

import math
import zlib
from array import array
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

DIM = 1 << 19
HEADS = ("toxic", "threat", "spam")
DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "model.npz"
_MASK = DIM - 1


def _h(s: str) -> int:
    return zlib.crc32(s.encode("utf-16-le")) & _MASK


@lru_cache(maxsize=300_000)
def word_features(word: str) -> tuple[int, ...]:
    """Hashed unigram + char 3..5-grams of one normalised word (placeholders get only the word).

    The word is encoded once as UTF-16 (two bytes a letter of Russian or Latin text), so each
    n-gram is a byte slice: no encoding per n-gram on the classifier's slow path, a new word."""
    feats = [_h("w:" + word)]
    if word.startswith("__"):
        return tuple(feats)
    b = f"<{word}>".encode("utf-16-le")
    n = len(b)
    crc = zlib.crc32
    # 3, 4 and 5 letters, in that order
    feats += [crc(b[i : i + k]) & _MASK for k in (6, 8, 10) for i in range(0, n - k + 1, 2)]
    return tuple(feats)


def bigram_feature(a: str, b: str) -> int:
    """From the two words' own (cached) hashes: no encoding or hashing of the pair's text.
    (LinearModel.scores computes the same inline.)"""
    return (word_features(a)[0] * 1_000_003 ^ word_features(b)[0] * 7_919 ^ 0x5BD1E995) & _MASK


def distinct(words: list[str]) -> tuple[list[str], set[tuple[str, str]]]:
    """The distinct words and distinct bigrams of a text: what the model counts."""
    return list(dict.fromkeys(words)), set(pairwise(words))


def text_features(words: list[str]) -> list[int]:
    uniq, bigrams = distinct(words)
    feats: list[int] = []
    for w in uniq:
        feats.extend(word_features(w))
    for a, b in bigrams:
        feats.append(bigram_feature(a, b))
    if not feats:
        feats.append(word_features("__empty__")[0])
    return feats


class LinearModel:
    def __init__(self, path: Path = DEFAULT_MODEL_PATH) -> None:
        with np.load(path) as z:
            weights = z["weights"].astype(np.float32)  # (heads, DIM)
            bias = z["bias"].astype(np.float64)
            heads = tuple(str(h) for h in z["heads"]) if "heads" in z else ("toxic", "spam")
            self.thresholds = {
                k: float(v) for k, v in zip(z["th_names"], z["th_values"], strict=True)
            }
        # a model file from before a head existed scores that head as 0
        self.weights = np.zeros((len(HEADS), DIM), dtype=np.float32)
        self.bias = np.full(len(HEADS), -30.0)
        for i, head in enumerate(HEADS):
            if head in heads:
                self.weights[i] = weights[heads.index(head)]
                self.bias[i] = bias[heads.index(head)]
        # One (DIM, heads) table, a feature's heads side by side (one cache line, not three): a
        # word's features are one fancy-indexing call for all heads; `_flat` is the same memory
        # as plain floats, so a bigram is three index reads with no numpy call and no cache.
        self._flat = array("f", np.ascontiguousarray(self.weights.T).tobytes())
        self._table = np.frombuffer(self._flat, dtype=np.float32).reshape(DIM, len(HEADS))
        del self.weights  # the table holds them
        self._word_cache: dict[str, tuple[float, float, float, int, int]] = {}

    def _word(self, word: str) -> tuple[float, float, float, int, int]:
        """(summed weights per head, number of features, the word's own hash) of one word."""
        feats = word_features(word)
        a, b, c = self._table[list(feats)].sum(axis=0).tolist()
        hit = (a, b, c, len(feats), feats[0])
        if len(self._word_cache) < 500_000:
            self._word_cache[word] = hit
        return hit

    def scores(self, words: list[str]) -> tuple[float, ...]:
        """Probabilities per head (HEADS order) for a list of normalised words."""
        cache = self._word_cache
        t = h = s = 0.0
        n = 0
        hashes: dict[str, int] = {}
        for w in dict.fromkeys(words):  # each distinct word once
            hit = cache.get(w) or self._word(w)
            t += hit[0]
            h += hit[1]
            s += hit[2]
            n += hit[3]
            hashes[w] = hit[4]
        if len(words) > 1:
            flat = self._flat
            for a, b in set(pairwise(words)):  # each distinct bigram once (bigram_feature inline)
                i = ((hashes[a] * 1_000_003 ^ hashes[b] * 7_919 ^ 0x5BD1E995) & _MASK) * 3
                t += flat[i]
                h += flat[i + 1]
                s += flat[i + 2]
                n += 1
        if n == 0:
            i = word_features("__empty__")[0] * 3
            t, h, s, n = self._flat[i], self._flat[i + 1], self._flat[i + 2], 1
        r = 1.0 / math.sqrt(n)
        b = self.bias
        return _sigmoid(b[0] + t * r), _sigmoid(b[1] + h * r), _sigmoid(b[2] + s * r)


def _sigmoid(x: float) -> float:
    if x < -30:
        return 0.0
    if x > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))
