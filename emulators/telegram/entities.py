"""Text formatting the way Telegram does it: parse_mode -> (plain text, entities).

Lengths and offsets are in UTF-16 code units, as in the Bot API. The HTML parser follows the
rules of the real server (only the documented tags, four named escapes, exact end tags); the
MarkdownV2 parser is an approximation that still rejects unescaped reserved characters.
"""

from __future__ import annotations

import re
from typing import Any


class EntityParseError(Exception):
    """Raised for malformed markup; the text becomes "Bad Request: can't parse entities: ..."."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_SUPPORTED = {*_SIMPLE_TAGS, "a", "code", "pre", "span", "blockquote", "tg-emoji"}


def _decode_entities(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _NAMED:
            return _NAMED[name]
        code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
        return chr(code) if 0 < code <= 0x10FFFF else m.group(0)

    return _ENTITY_RE.sub(repl, text)


def _byte_offset(src: str, i: int) -> int:
    return len(src[:i].encode("utf-8"))


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos = 0  # UTF-16 offset of the end of `out`
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "&":
            m = _ENTITY_RE.match(src, i)
            piece = _decode_entities(m.group(0)) if m else "&"
            out.append(piece)
            pos += utf16_len(piece)
            i = m.end() if m else i + 1
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            piece = src[i:j]
            out.append(piece)
            pos += utf16_len(piece)
            i = j
            continue
        offset = _byte_offset(src, i)
        if src.startswith("</", i):
            end = src.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = src[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            open_name, attrs, start = stack.pop()
            if name != open_name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            _close_tag(open_name, attrs, start, pos, stack, entities)
            i = end + 1
            continue
        m = _TAG_NAME_RE.match(src, i + 1)
        if not m:
            raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
        name = m.group(0).lower()
        if name not in _SUPPORTED:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            am = _ATTR_RE.match(src, j)
            if not am or am.end() == j:
                break
            value = am.group(2) or ""
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs[am.group(1).lower()] = _decode_entities(value)
            j = am.end()
        while j < n and src[j].isspace():
            j += 1
        if j >= n or src[j] != ">":
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        stack.append((name, attrs, pos))
        i = j + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _close_tag(
    name: str,
    attrs: dict[str, str],
    start: int,
    end: int,
    stack: list[tuple[str, dict[str, str], int]],
    entities: list[dict[str, Any]],
) -> None:
    length = end - start
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": start, "length": length}
    if name in _SIMPLE_TAGS or name == "span":
        entity["type"] = _SIMPLE_TAGS.get(name, "spoiler")
    elif name == "a":
        href = attrs.get("href", "")
        if not href:
            return
        entity.update(type="text_link", url=href)
    elif name == "code":
        lang = attrs.get("class", "")
        # <pre><code class="language-x"> sets the language of the enclosing pre entity.
        if stack and stack[-1][0] == "pre" and lang.startswith("language-"):
            stack[-1][1]["_language"] = lang.removeprefix("language-")
            return
        entity["type"] = "code"
    elif name == "pre":
        entity["type"] = "pre"
        if attrs.get("_language"):
            entity["language"] = attrs["_language"]
    elif name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attrs.get("emoji-id", ""))
    entities.append(entity)


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_MARKS = [("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic")]
_MD2_MARKS += [("~", "strikethrough")]


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Approximate MarkdownV2: marks, `code`, ```pre```, [text](url), escapes, reserved chars."""
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, str, int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)

    def emit(piece: str) -> None:
        nonlocal pos
        out.append(piece)
        pos += utf16_len(piece)

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            emit(src[i + 1])
            i += 2
            continue
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end == -1:
                raise EntityParseError(f"Can't find end of PreCode entity at byte offset {i}")
            body = src[i + 3 : end]
            lang, _, rest = body.partition("\n") if "\n" in body else ("", "", body)
            start = pos
            emit(rest.replace("\\`", "`").replace("\\\\", "\\"))
            ent: dict[str, Any] = {"type": "pre", "offset": start, "length": pos - start}
            if lang.strip():
                ent["language"] = lang.strip()
            entities.append(ent)
            i = end + 3
            continue
        if c == "`":
            end = src.find("`", i + 1)
            if end == -1:
                raise EntityParseError(f"Can't find end of Code entity at byte offset {i}")
            start = pos
            emit(src[i + 1 : end].replace("\\`", "`").replace("\\\\", "\\"))
            entities.append({"type": "code", "offset": start, "length": pos - start})
            i = end + 1
            continue
        if c == "[":
            stack.append(("[", "text_link", pos))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[" and src.startswith("(", i + 1):
            end = src.find(")", i + 2)
            if end == -1:
                raise EntityParseError(f"Can't find end of a URL at byte offset {i}")
            _, _, start = stack.pop()
            if pos > start:
                url = src[i + 2 : end].replace("\\)", ")")
                entities.append(
                    {"type": "text_link", "offset": start, "length": pos - start, "url": url}
                )
            i = end + 1
            continue
        mark = next((m for m in _MD2_MARKS if src.startswith(m[0], i)), None)
        if mark:
            if stack and stack[-1][0] == mark[0]:
                _, etype, start = stack.pop()
                if pos > start:
                    entities.append({"type": etype, "offset": start, "length": pos - start})
            else:
                stack.append((mark[0], mark[1], pos))
            i += len(mark[0])
            continue
        if c in _MD2_RESERVED:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(c)
        i += 1
    if stack:
        raise EntityParseError(
            f"Can't find end of {stack[-1][1].capitalize()} entity at byte offset {n}"
        )
    return "".join(out), entities


def parse_markdown_legacy(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, [text](url); no nesting, no reserved chars."""
    text = src
    for mark in "*_`":
        if text.count(mark) % 2:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {text.rfind(mark)}"
            )
    return parse_markdown_v2(re.sub(r"([.!#+\-=|{}>()~])", r"\\\1", text))


_AUTO_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{5,32})?(?![\w/]))"
    r"|(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<mention>(?<!\w)@[a-zA-Z][a-zA-Z0-9_]{4,31}(?!\w))"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities the server detects on its own (commands, links, mentions, hashtags)."""
    found = []
    for m in _AUTO_RE.finditer(text):
        kind = m.lastgroup or "url"
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group(0)),
            }
        )
    return found


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like the server does, keeping entity offsets right."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    result = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, size)
        if end > start:
            result.append({**ent, "offset": start, "length": end - start})
    return stripped, result


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode (or explicit entities) and auto-detection; returns text and entities."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, ents = parse_html(text)
    elif mode == "markdownv2":
        plain, ents = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, ents = parse_markdown_legacy(text)
    elif mode:
        raise ValueError("unsupported parse_mode")
    else:
        plain, ents = text, [dict(e) for e in entities or []]
    plain, ents = _strip(plain, ents)
    covered = {(e["offset"], e["length"]) for e in ents}
    ents += [e for e in auto_entities(plain) if (e["offset"], e["length"]) not in covered]
    ents.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, ents
