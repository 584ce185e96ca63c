"""Question detection benchmark: `uv run --frozen python -m bench.replies`.

Which comments ask the administration something (bot/replies/detect.py) on a labelled set of
Russian comments written for this purpose (`bench/replies_ref/comments.tsv`: 1 = asks the
administration something, 0 = thanks, remarks, complaints that ask nothing), against a simple
reference in the same run: "the comment has a question mark". The rules were written together
with the set, so the figures say how the rules do on the kinds of comment the set holds, not
how they generalise. The last output line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from bot.replies.detect import is_question, read

DATA = Path(__file__).parent / "replies_ref" / "comments.tsv"


def load(path: Path = DATA) -> list[tuple[bool, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            label, text = line.split("\t", 1)
            rows.append((label == "1", text))
    return rows


def measure(rows: list[tuple[bool, str]], detect: Callable[[str], bool]) -> dict:
    tp = fp = fn = tn = 0
    started = time.perf_counter()
    for label, text in rows:
        said = detect(text)
        tp += said and label
        fp += said and not label
        fn += (not said) and label
        tn += (not said) and not label
    elapsed = time.perf_counter() - started
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "ms_per_comment": round(1000 * elapsed / max(len(rows), 1), 3),
    }


def reference(text: str) -> bool:
    return "?" in text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print the comments it got wrong")
    args = parser.parse_args(argv)
    rows = load()
    questions = sum(label for label, _ in rows)
    print(f"labelled comments: {len(rows)} ({questions} questions, {len(rows) - questions} not)")
    results = {
        "rules": measure(rows, is_question),
        "reference_question_mark": measure(rows, reference),
    }
    for name, figures in results.items():
        print(
            f"{name:>24}: precision {figures['precision']:.3f}  recall {figures['recall']:.3f}  "
            f"F1 {figures['f1']:.3f}  (tp {figures['tp']}, fp {figures['fp']}, "
            f"fn {figures['fn']}, tn {figures['tn']}; {figures['ms_per_comment']} ms each)"
        )
    if args.errors:
        for label, text in rows:
            if is_question(text) != label:
                reading = read(text)
                print(f"  {'missed' if label else 'false'}: {text!r} {reading.score} {reading.why}")
    print(
        json.dumps({"comments": len(rows), "questions": questions, **results}, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
