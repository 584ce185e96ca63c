"""The labelled texts training reads: the shared data, the project's own written examples and the
editors' decisions, split by crc32 of the normalised text.

Splits, the same for every source: 10 % held back (the bench's dev split, never trained on nor used
to pick thresholds), another 10 % for picking thresholds, the rest trained on. The written pattern
files (`data/patterns/NAME.txt`) are trained on whole; their `NAME_eval` twins were written apart
and are never trained on.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .model import HEADS

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
