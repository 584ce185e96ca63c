"""Text measured the way Telegram measures it, and cut or split with a visible «…».

Telegram counts its limits (4,096 for a message, 1,024 for a caption) in UTF-16 code units after
entity parsing: an emoji or another character outside the Basic Multilingual Plane counts twice.
The desk sends plain text (no parse mode), so the text as built is the text counted. Every text
the bot builds is measured with `utf16_len` and made to fit with `fit` (one message) or `split`
(several); the Telegram transport applies `fit` once more to whatever still goes out too long.
"""

from __future__ import annotations

import json
from typing import Any

TEXT_LIMIT = 4096  # a Telegram message
CAPTION_LIMIT = 1024  # a Telegram media caption
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram compares with its limits."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, units: int) -> str:
    """The longest prefix of `text` of at most `units` UTF-16 units (pairs never split)."""
    if units <= 0:
        return ""
    if utf16_len(text) <= units:
        return text
    # Code points never take fewer units than themselves: start there and step back.
    cut = min(len(text), units)
    while cut > 0 and utf16_len(text[:cut]) > units:
        over = utf16_len(text[:cut]) - units
        cut -= max(1, over // 2)
    return text[:cut]


def _soft_cut(text: str, units: int) -> str:
    """A prefix that ends at a space or line break when one is near the end (not mid-word)."""
    head = _prefix(text, units)
    if len(head) == len(text):
        return head
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at >= len(head) * 0.8:
            return head[:at]
    return head


def fit(text: str, limit: int = TEXT_LIMIT, tail: str = "") -> str:
    """`text` if it fits `limit` UTF-16 units; else its beginning, cut at a word where possible,
    then «…» and `tail` (e.g. « (полный текст — 5000 знаков)»), all within `limit`."""
    if utf16_len(text) <= limit:
        return text
    end = ELLIPSIS + tail
    if utf16_len(end) >= limit:
        end = ELLIPSIS
    return _soft_cut(text, limit - utf16_len(end)).rstrip() + end


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` as consecutive parts of at most `limit` UTF-16 units each, broken at paragraphs,
    lines or words where possible; every part but the last ends with «…» and the next begins
    with it, so a reader sees the text goes on."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    lead = ""
    while rest:
        room = limit - utf16_len(lead)
        if utf16_len(rest) <= room:
            parts.append(lead + rest)
            break
        head = _soft_cut(rest, room - utf16_len(ELLIPSIS)) or _prefix(rest, room - 1)
        parts.append(lead + head.rstrip() + ELLIPSIS)
        rest = rest[len(head) :].lstrip()
        lead = ELLIPSIS
    return parts


def without_nul(value: Any) -> Any:
    """`value` with U+0000 removed from every string in it (dicts and lists walked).

    PostgreSQL refuses NUL in text, and no person means it: it is taken out where data comes in
    (every Bot API and VK answer is decoded through this), so both engines store the same."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def loads_without_nul(raw: str | bytes) -> Any:
    """json.loads, then `without_nul`: the decoder for answers from the networks."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    data = json.loads(text)
    return without_nul(data) if "\\u0000" in text else data
