"""Which phrase patterns can match a text at all, from the first letters of its words.

Python's `re` tries every alternative of a pattern at every position, so sixty patterns over every
comment cost most of the classifier's time. Nearly all of them start with a list of words
(`\\b(?:убью|прибью|…)`): the set of their first GATE letters, read once from the parsed pattern,
tells whether a comment has a word that could start a match. A pattern whose start cannot be read
that way (a leading `.`, `\\w`, a lookbehind) has no gate and always runs.
"""

from __future__ import annotations

import re
from itertools import accumulate

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

GATE = 5
_INNER_START = re.compile(r"(?<=[^\w ])\w")
_LIMIT = 4000


class _Open(Exception):
    """An element whose strings cannot be listed (`.`, `\\w`, a lookaround...)."""


def _element(op, av, k: int) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """(closed, extendable) start strings of one parsed element."""
    if op is C.AT:
        return set(), {""}
    if op is C.LITERAL:
        return set(), {chr(av)}
    if op is C.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is C.LITERAL:
                chars.add(chr(iav))
            elif iop is C.RANGE and iav[1] - iav[0] < 40:
                chars.update(chr(c) for c in range(iav[0], iav[1] + 1))
            else:
                raise _Open
        return set(), chars
    if op is C.SUBPATTERN:
        return _starts(list(av[-1]), k)
    if op is C.BRANCH:
        closed: set[str] = set()
        ext: set[str] = set()
        for alt in av[1]:
            c, x = _starts(list(alt), k)
            closed |= c
            ext |= x
        return closed, ext
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, hi, sub = av
        if hi == 0:
            return set(), {""}
        c, x = _starts(list(sub), k)
        if lo == 0:
            return c, x | {""}
        if lo == 1 and hi == 1:
            return c, x
        # a repeated part: its first round is a necessary start, the rest cannot be listed
        return c | x, set()
    raise _Open


def _starts(items: list, k: int) -> tuple[set[str], set[str]]:  # type: ignore[type-arg]
    """(closed, extendable) possible starts of a sequence: a closed string is all that is known
    of a match's start (k letters long, or cut short by an unlistable part)."""
    closed: set[str] = set()
    ext = {""}
    for op, av in items:
        if not ext:
            break
        try:
            c_e, x_e = _element(op, av, k)
        except _Open:
            closed |= ext
            return closed, set()
        grown: set[str] = set()
        for a in ext:
            for b in c_e:
                closed.add((a + b)[:k])
            for b in x_e:
                s = (a + b)[:k]
                (closed if len(s) == k else grown).add(s)
        if len(closed) + len(grown) > _LIMIT:
            return closed | grown, set()
        ext = grown
    return closed, ext


def gate(pattern: str) -> frozenset[str] | None:
    """The strings (up to GATE letters) one of which any match must start with, or None."""
    closed, ext = _starts(list(P.parse(pattern)), GATE)
    starts = closed | ext
    if not starts or "" in starts:
        return None
    return frozenset(starts)


def word_heads(phrase: str) -> set[str]:
    """The first GATE letters (fewer at the end) at every place a match can start: each word start
    of a phrase (words joined by single spaces), and inside a word where `\\b` can start a match
    after a symbol («#nft», «х*й»)."""
    # offsets of the word starts, then the slices: comprehensions, no Python loop per word
    offsets = list(accumulate([len(w) + 1 for w in phrase.split(" ")], initial=0))
    offsets.pop()
    offsets.extend(m.start() for m in _INNER_START.finditer(phrase))
    return {phrase[i : i + GATE] for i in offsets}


def word_starts(phrase: str) -> set[str]:
    """The first 1..GATE letters at every place of a phrase a match can start (`word_heads`)."""
    heads = word_heads(phrase)
    return heads.union(*({h[:k] for h in heads} for k in range(1, GATE)))


class Rules:
    """Compiled phrase patterns, each with its gate and its payload (a reason, a weight...).

    An index from each gate string to the patterns it opens: a comment looks up its word starts
    (a few dozen dictionary lookups) instead of testing every pattern's gate against them."""

    def __init__(self, rules: list[tuple]) -> None:  # type: ignore[type-arg]
        self.rules = [(re.compile(r[0]), gate(r[0]), r[1:]) for r in rules]
        self.always = frozenset(i for i, (_, g, _) in enumerate(self.rules) if g is None)
        index: dict[str, set[int]] = {}
        for i, (_, g, _) in enumerate(self.rules):
            for start in g or ():
                index.setdefault(start, set()).add(i)
        self.index = {k: frozenset(v) for k, v in index.items()}
        self.keys = frozenset(self.index)

    def hits(self, phrase: str, starts: set[str], first: bool = False) -> list[tuple]:  # type: ignore[type-arg]
        """(start, end, *payload) of every match (only the first per pattern if `first`)."""
        ids = set(self.always)
        index = self.index
        # only the word starts some gate has (one set intersection in C, not a lookup per start)
        for start in self.keys.intersection(starts):
            ids |= index[start]
        if not ids:
            return []
        out = []
        for i in sorted(ids):  # in the patterns' own order, as a plain scan would find them
            rx, _, payload = self.rules[i]
            if first:
                m = rx.search(phrase)
                if m:
                    out.append((m.start(), m.end(), *payload))
            else:
                out.extend((m.start(), m.end(), *payload) for m in rx.finditer(phrase))
        return out


class RuleBook:
    """Several rule sets behind one gate index: a comment's word starts are intersected once, and
    the patterns they open run in one pass (a search first; every match only when one exists)."""

    def __init__(self, sets: list[tuple[Rules, bool]]) -> None:
        # (pattern, payload, which set, first match only)
        self.entries: list[tuple[re.Pattern[str], tuple, int, bool]] = []  # type: ignore[type-arg]
        always: set[int] = set()
        index: dict[str, set[int]] = {}
        for k, (rules, first) in enumerate(sets):
            for rx, g, payload in rules.rules:
                gid = len(self.entries)
                self.entries.append((rx, payload, k, first))
                if g is None:
                    always.add(gid)
                for start in g or ():
                    index.setdefault(start, set()).add(gid)
        self.sets = len(sets)
        self.always = frozenset(always)
        self.index = {k: frozenset(v) for k, v in index.items()}
        self.keys = frozenset(self.index)
        # word head -> the patterns its prefixes open: heads repeat from comment to comment
        self._opened: dict[str, frozenset[int]] = {}

    def forget(self) -> None:
        """Empty the per-head cache (the bench measures with cold caches)."""
        self._opened.clear()

    def _open(self, head: str) -> frozenset[int]:
        index = self.index
        opened = frozenset().union(*(index.get(head[:k], ()) for k in range(1, len(head) + 1)))
        if len(self._opened) < 200_000:
            self._opened[head] = opened
        return opened

    def scan(self, phrase: str) -> list[list[tuple]]:  # type: ignore[type-arg]
        """`hits` of a phrase with its word starts worked out here, per distinct head, cached."""
        ids = set(self.always)
        cache = self._opened
        for head in word_heads(phrase):
            opened = cache.get(head)
            if opened is None:
                opened = self._open(head)
            if opened:
                ids |= opened
        return self._run(phrase, ids)

    def hits(self, phrase: str, starts: set[str]) -> list[list[tuple]]:  # type: ignore[type-arg]
        """Per set, in the order given, what `Rules.hits` of that set would return."""
        ids = set(self.always)
        index = self.index
        for start in self.keys.intersection(starts):
            ids |= index[start]
        return self._run(phrase, ids)

    def _run(self, phrase: str, ids: set[int]) -> list[list[tuple]]:  # type: ignore[type-arg]
        out: list[list[tuple]] = [[] for _ in range(self.sets)]  # type: ignore[type-arg]
        entries = self.entries
        for gid in sorted(ids):  # each set's patterns in their own order
            rx, payload, k, first = entries[gid]
            m = rx.search(phrase)
            if m is None:
                continue
            if first:
                out[k].append((m.start(), m.end(), *payload))
            else:
                out[k].extend((m.start(), m.end(), *payload) for m in rx.finditer(phrase))
        return out
