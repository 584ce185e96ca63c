"""Rebuild the moderation model from the shared data, own examples and editors' decisions.

Run: `pressdesk moderation train` (or `python -m bot.moderation.train`). scikit-learn is needed only
here. The result is byte-for-byte the same for the same inputs (liblinear with a fixed seed, no
dates in the file), so the shipped `data/model.npz` can be rebuilt from the repo and the shared
data.

Splits, by crc32 of the normalised text, the same for every source: 10 % held back (the bench's dev
split, never trained on nor used to pick thresholds), another 10 % for picking thresholds, the rest
trained on. The written pattern files (`data/patterns/NAME.txt`) are trained on whole; their
`NAME_eval` twins were written apart and are never trained on.

Nightly (`retrain_from_decisions`), without the shared data on the office's machine: the shipped
model's weights are the start and the project's own written examples plus every editor's decision
are fitted on top with a few passes of SGD, so the office's corrections win where they apply and the
rest of the model stays as shipped.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .model import DEFAULT_MODEL_PATH, DIM, HEADS, text_features

PKG_DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
# Written pattern sets: name -> (categories a positive example carries, is it a clean set)
PATTERNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "threat": (("threat",), False),
    "hate": (("insult", "obscenity", "threat"), False),
    "insult_nolist": (("insult", "obscenity", "threat"), False),
    "disguise": (("insult", "obscenity", "threat"), False),
    "spam_nolink": (("spam",), False),
    "phone_complaint": ((), True),
    "repeats": ((), True),
    "long_clean": ((), True),
    "near_miss": ((), True),
}
Row = tuple[str, bool, float, str]  # text, label, weight, source


def shared_data_dir() -> Path:
    env = os.environ.get("PRESSDESK_MODERATION_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data" / "moderation"


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _slice(text: str) -> int:
    return zlib.crc32(_key(text).encode("utf-8")) % 10


def is_held_out(text: str) -> bool:
    """The bench's dev split: never trained on, never used for thresholds."""
    return _slice(text) == 0


def is_calibration(text: str) -> bool:
    return _slice(text) == 1


def read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    out, seen = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and _key(line) not in seen:
            seen.add(_key(line))
            out.append(line)
    return out


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """label<TAB>text lines (# comments skipped)."""
    out = []
    for line in read_lines(path):
        label, _, text = line.partition("\t")
        if text.strip():
            out.append((label.strip(), text.strip()))
    return out


def read_ok(d: Path) -> list[tuple[str, tuple[str, ...]]]:
    """ok_mlcup_train.tsv: (text, categories), categories empty for a normal comment."""
    path = d / "ok_mlcup_train.tsv"
    if not path.exists():
        return []
    out, seen = [], set()
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        text, _, labels = line.partition("\t")
        text = text.strip()
        if text and _key(text) not in seen:
            seen.add(_key(text))
            out.append((text, tuple(x for x in labels.strip().split(",") if x)))
    return out


@dataclass
class Corpus:
    """Labelled texts per head."""

    toxic: list[Row] = field(default_factory=list)
    threat: list[Row] = field(default_factory=list)
    spam: list[Row] = field(default_factory=list)

    def head(self, name: str) -> list[Row]:
        return getattr(self, name)


def _joined(texts: list[str], lo: int, n: int, salt: int) -> list[str]:
    """n long texts made of whole shorter ones (deterministic): long comments for training."""
    out: list[str] = []
    i = salt
    while texts and len(out) < n:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < lo:
            parts.append(texts[(i * 7919) % len(texts)])
            i += 1
        out.append(" ".join(parts))
    return out


def own_corpus(c: Corpus, keep, patterns: bool = True) -> None:  # type: ignore[no-untyped-def]
    """The project's own written examples (in the repo): the part both training modes use.

    The pattern files are trained on whole, so only the training part gets them."""
    own = {
        name: read_lines(PKG_DATA / f"{name}.txt")
        for name in ("criticism", "clean", "hard_clean", "spam_ru", "toxic_ru")
    }
    for t in own["criticism"]:
        if keep(t):
            for head in ("toxic", "threat"):
                c.head(head).append((t, False, 4.0, "criticism"))
            c.spam.append((t, False, 2.0, "criticism"))
    for t in own["clean"] + own["hard_clean"]:
        if keep(t):
            for head in ("toxic", "threat"):
                c.head(head).append((t, False, 3.0, "clean"))
            c.spam.append((t, False, 2.0, "clean"))
    for t in own["spam_ru"]:
        if keep(t):
            c.spam.append((t, True, 2.0, "spam_ru"))
            c.toxic.append((t, False, 1.0, "spam_ru"))
    for t in own["toxic_ru"]:
        if keep(t):
            c.toxic.append((t, True, 3.0, "toxic_ru"))
            c.spam.append((t, False, 1.0, "toxic_ru"))
    if not patterns:
        return
    for name, (cats, clean) in PATTERNS.items():
        for t in read_lines(PKG_DATA / "patterns" / f"{name}.txt"):
            if clean:
                for head in HEADS:
                    c.head(head).append((t, False, 3.0, name))
            elif "spam" in cats:
                c.spam.append((t, True, 3.0, name))
                c.toxic.append((t, False, 1.0, name))
            else:
                c.toxic.append((t, True, 3.0, name))
                c.threat.append((t, name == "threat", 3.0, name))
                c.spam.append((t, False, 1.0, name))
    for label, t in read_labelled(PKG_DATA / "patterns" / "vk_reply.tsv"):
        c.toxic.append((t, label == "toxic", 3.0, "vk_reply"))
        c.spam.append((t, label == "spam", 3.0, "vk_reply"))
        if label != "toxic":
            c.threat.append((t, False, 3.0, "vk_reply"))


def load_corpus(part: str = "train", extra: Iterable[tuple[str, str, bool]] = ()) -> Corpus:
    """One split of every source: "train", "calibration" or "held_out"."""
    from .lexicon import obscene_root
    from .normalize import tokenize

    d = shared_data_dir()
    c = Corpus()
    want = {"train": set(range(2, 10)), "calibration": {1}, "held_out": {0}}[part]

    def keep(t: str) -> bool:
        return _slice(t) in want

    def has_mat(t: str) -> bool:
        return any(obscene_root(v) for tok in tokenize(t) for v in tok.variants)

    for t in read_lines(d / "toxic.txt"):
        if keep(t):
            c.toxic.append((t, True, 1.0, "toxic"))
    neutral = [t for t in read_lines(d / "neutral.txt") if keep(t)]
    for t in neutral:
        c.toxic.append((t, False, 1.0, "neutral"))
        c.threat.append((t, False, 0.5, "neutral"))
    ok_clean: list[str] = []
    for t, cats in read_ok(d):
        if not keep(t):
            continue
        c.toxic.append((t, bool(cats), 2.0, "ok"))
        c.threat.append((t, "threat" in cats, 2.0, "ok"))
        c.spam.append((t, False, 1.0, "ok"))
        if not cats:
            ok_clean.append(t)
    for t in read_lines(d / "spam-samples.txt"):
        if keep(t):
            c.spam.append((t, True, 1.0, "spam"))
    for t in read_lines(d / "ham-samples.txt"):
        if keep(t):
            c.spam.append((t, False, 1.0, "ham"))
            # ham is "not spam", not "clean": only мат-free lines are negatives for the toxic head
            if part != "held_out" and not has_mat(t):
                c.toxic.append((t, False, 1.0, "ham"))
    own_corpus(c, keep, patterns=part == "train")
    if part == "train":
        # forum comments are not spam either: a sample teaches the spam head what ordinary talk is
        for t in neutral[::4]:
            c.spam.append((t, False, 0.5, "neutral"))
        # Long comments: the shared data has almost no long ordinary ones and many long toxic
        # ones, which taught the old model that length itself is rude. Long ordinary texts made of
        # ordinary comments, and the same with one toxic comment inside, even that out.
        pool = ok_clean + neutral[::3] + read_lines(PKG_DATA / "criticism.txt")
        long_clean = _joined(pool, 200, 300, 1) + _joined(pool, 800, 300, 2)
        for t in long_clean:
            for head in HEADS:
                c.head(head).append((t, False, 2.0, "long"))
        toxic = [r[0] for r in c.toxic if r[1] and r[3] in ("ok", "toxic_ru", "insult_nolist")]
        threats = [r[0] for r in c.threat if r[1]]
        for i, t in enumerate(long_clean[::2]):
            bad = toxic[(i * 31) % len(toxic)] if toxic else ""
            c.toxic.append((f"{t} {bad}" if i % 2 else f"{bad} {t}", True, 1.0, "long"))
        for i, t in enumerate(long_clean[1::4]):
            bad = threats[(i * 17) % len(threats)] if threats else ""
            c.threat.append((f"{t} {bad}", True, 1.0, "long"))
        add_decisions(c, extra)
    return c


def add_decisions(c: Corpus, extra: Iterable[tuple[str, str, bool]]) -> None:
    for t, head, label in extra:
        if head not in ("toxic", "spam"):
            raise ValueError(f"unknown head {head!r}")
        c.head(head).append((t, bool(label), 5.0, "extra"))


def featurize(texts: list[str]):  # -> scipy.sparse.csr_matrix
    from scipy.sparse import csr_matrix

    from .classifier import prepare

    indptr, indices, data = [0], [], []
    for t in texts:
        feats = text_features(prepare(t).words)
        counts: dict[int, int] = {}
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
        r = 1.0 / np.sqrt(len(feats))
        indices.extend(counts.keys())
        data.extend(v * r for v in counts.values())
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data, np.float32), np.array(indices), np.array(indptr)), shape=(len(texts), DIM)
    )


@dataclass
class TrainReport:
    path: Path
    n_train: dict[str, int]
    thresholds: dict[str, float]
    metrics: dict[str, float]
    size_bytes: int


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


def _save(out: Path, weights: np.ndarray, bias: np.ndarray, th: dict[str, float]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    arrays = {
        "weights": weights.astype(np.float16),
        "bias": bias,
        "heads": np.array(HEADS),
        "th_names": np.array(list(th.keys())),
        "th_values": np.array(list(th.values()), dtype=np.float64),
    }
    # np.savez_compressed stamps each member with the current time; a fixed stamp keeps the file
    # the same bytes for the same training, so a rebuilt model can be compared with the shipped one
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)
    tmp.replace(out)  # atomic: a running bot reloading the file never sees half of it


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
    _save(out, weights, bias, {"toxic": 0.9, "toxic_support": 0.6, "threat": 0.9, "spam": 0.5})
    th, metrics = calibrate(out)
    _save(out, weights, bias, th)
    _forget_default(out)
    return TrainReport(
        path=out,
        n_train={h: len(tr.head(h)) for h in HEADS},
        thresholds=th,
        metrics=metrics,
        size_bytes=out.stat().st_size,
    )


def _forget_default(out: Path) -> None:
    if out == DEFAULT_MODEL_PATH:
        from .classifier import load_default

        load_default.cache_clear()


if __name__ == "__main__":
    print(train())


# ---- nightly: the shipped model adapted to the editors' decisions ----------------------------
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
    _save(out, weights, bias, th)
    _forget_default(out)
    return TrainReport(
        path=out,
        n_train=n_train,
        thresholds=th,
        metrics={"decisions": float(len(decisions))},
        size_bytes=out.stat().st_size,
    )
