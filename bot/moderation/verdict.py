"""What the classifier says of a comment, and how a card shows it."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("obscenity", "insult", "threat", "spam", "unlawful")


@dataclass(frozen=True)
class Verdict:
    categories: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def flagged(self) -> bool:
        return bool(self.categories)


CLEAN = Verdict((), 0.0, (), ())


def mark(text: str, verdict: Verdict, left: str = "‹", right: str = "›") -> str:
    """Wrap the offending spans for the editor's card (overlapping spans merged)."""
    merged: list[list[int]] = []
    for s, e in sorted(verdict.spans):
        s, e = max(0, s), min(len(text), e)
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out = text
    for s, e in reversed(merged):
        out = out[:s] + left + out[s:e] + right + out[e:]
    return out


def joined(reasons: list[str]) -> str:
    """Reasons in one phrase, a shared last word said once: «обещание и суммы заработка»,
    not «обещание заработка и суммы заработка»."""
    groups: list[list[str]] = []  # reasons that end with the same word, in order of coming
    for reason in reasons:
        last = reason.rsplit(" ", 1)[-1]
        group = next((g for g in groups if " " in reason and g[0].endswith(f" {last}")), None)
        if group is None:
            groups.append([reason])
        else:
            group.append(reason)
    phrases = [
        g[0]
        if len(g) == 1
        else " и ".join(r.rsplit(" ", 1)[0] for r in g) + " " + g[0].rsplit(" ", 1)[1]
        for g in groups
    ]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " и " + phrases[-1]
