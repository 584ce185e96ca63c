"""Text normalisation for moderation: de-obfuscation with a map back to the original text.

Every token keeps its (start, end) span in the original string, so a verdict can point the editor
at the exact offending part even when the word was written as "х у й" or "xуйня".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Latin and other look-alikes that people put into Cyrillic words (visual similarity).
_VISUAL = {
    "a": "а",
    "b": "в",
    "c": "с",
    "e": "е",
    "h": "н",
    "k": "к",
    "m": "м",
    "o": "о",
    "p": "р",
    "t": "т",
    "x": "х",
    "y": "у",
    "u": "и",
    "n": "п",
    "r": "г",
    "i": "і",
    "3": "з",
    "0": "о",
    "4": "ч",
    "6": "б",
    "@": "а",
    "$": "с",
    "ё": "е",
    # Greek, small capitals and Cherokee letters seen in real spam
    "α": "а",
    "ο": "о",
    "ε": "е",
    "κ": "к",
    "ρ": "р",
    "τ": "т",
    "υ": "у",
    "ν": "в",
    "β": "в",
    "ᴏ": "о",
    "ᴇ": "е",
    "ᴀ": "а",
    "ᴛ": "т",
    "ᴄ": "с",
    "ᴋ": "к",
    "ʍ": "м",
    "ʙ": "в",
    "ᴨ": "п",
    "ᴩ": "р",
    "ᴧ": "л",
    "ɜ": "з",
    "ᴦ": "г",
    "ᴍ": "м",
    "ʜ": "н",
    "ᴘ": "р",
    "ᴜ": "у",
    "ꮶ": "к",
    "ꮻ": "о",
    "ꮲ": "р",
    # more Greek and small capitals (seen standing in for Cyrillic in disguised insults)
    "η": "н",
    "χ": "х",
    "π": "п",
    "λ": "л",
    "δ": "б",
    "σ": "о",
    "θ": "о",
    "ι": "и",
    "γ": "у",
    "μ": "м",
    "ω": "ш",
    "φ": "ф",
    "ς": "с",
    "ᴅ": "д",
    "ʟ": "л",
    "ɪ": "и",
    "ɢ": "г",
    "ʀ": "р",
    "ɴ": "н",
    "ᴡ": "ш",
    "ʏ": "у",
    "ᴢ": "з",
    "ꜱ": "с",
    "ғ": "ф",
    "ᴊ": "й",
    "ᴫ": "л",
    "ᴯ": "в",
    "і": "и",
    "ї": "и",
    "є": "е",
    "ў": "у",
}
_VISUAL_NODIGIT = {k: v for k, v in _VISUAL.items() if not k.isdigit()}
# Phonetic alternative for letters that are ambiguous (b = "б" in "bля", h = "х" in "hуй").
_PHONETIC = {
    "b": "б",
    "h": "х",
    "u": "у",
    "i": "и",
    "y": "у",
    "n": "н",
    "r": "р",
    "d": "д",
    "l": "л",
    "s": "с",
    "z": "з",
    "v": "в",
    "g": "г",
    "f": "ф",
    "j": "й",
    "w": "в",
    "q": "к",
}
_DIGIT_ALT = {"3": "е", "1": "и", "9": "я", "0": "о", "6": "б", "4": "ч"}
_TRANSLIT_MULTI = [
    ("sch", "щ"),
    ("shch", "щ"),
    ("zh", "ж"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
    ("ye", "е"),
    ("ja", "я"),
    ("ju", "ю"),
]
_TRANSLIT_ONE = {
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "х",
    "y": "ы",
    "z": "з",
    "'": "ь",
}

_CYR = re.compile(r"[а-яё]")
_PLAIN = re.compile(r"[а-яё]+")
_LAT = re.compile(r"[a-z]")
_MASK = "*#%"
# A raw token: word characters plus masks, joined by single in-word separators.
# ("_" counts as a word character here, one class instead of an alternation per character: several
# times quicker; analyse_word splits at "_" like at the other separators)
_WCH = r"[\w*@$#%]"
TOKEN_RE = re.compile(rf"{_WCH}+(?:[-.'’]{_WCH}+)*")
_SEP_SPLIT = re.compile(r"[-.'’_]")
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\bt\.me/\S+|"
    r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:ru|com|рф|me|ly|io|org|net|info|link|online|site|"
    r"pro|biz|xyz|club|top|shop|store|su|cc|ltd|in|fr|gl|to|app|bet|vip|live|win)\b(?:/\S*)?",
    re.IGNORECASE,
)
HANDLE_RE = re.compile(r"(?<![\w.])@[A-Za-z][A-Za-z0-9_]{3,}")
PHONE_RE = re.compile(
    r"(?<![\d\w])(?:\+7|8|7)?[\s\-(]*\d{3,4}[\s\-)]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}(?![\d])"
    r"|(?<![\d\w])\d{2,3}[\s\-]\d{2}[\s\-]\d{2}(?![\d])"
)
_REPEAT3 = re.compile(r"(.)\1{2,}")
# Digits for whole syllables: "3.14здец" (пи), "на100ящий" (сто).
_SYLLABLES = re.compile(r"3[.,]?14(?=[а-я])|(?<=[а-я])100")
_SYLLABLE_OF = {"314": "пи", "3.14": "пи", "3,14": "пи", "100": "сто"}
_PI_COMMA = re.compile(r"(?<!\d)3,14(?=[а-яёa-z])", re.IGNORECASE)
# Latin letters with diacritics ("hué", "píздец"): their base letter
_LATIN_EXT = re.compile(r"[\u00c0-\u024f]")
_REPEAT2 = re.compile(r"(.)\1+")


@dataclass(slots=True)
class Token:
    start: int
    end: int
    low: str  # lowercased original
    parts: tuple[str, ...]  # model tokens (separators split, de-obfuscated, squeezed)
    variants: tuple[str, ...]  # candidate spellings for lexicon lookups (separators removed)
    disguise: str  # Russian description of the disguise, "" when plain
    masked: bool  # contains * or # between letters


def squeeze(s: str) -> str:
    """Collapse any run of the same letter: "бляяяять" → "блять", "ссука" → "сука"."""
    return _REPEAT2.sub(r"\1", s)


def _map(s: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in s)


def translit(s: str) -> str:
    for a, b in _TRANSLIT_MULTI:
        s = s.replace(a, b)
    return _map(s, _TRANSLIT_ONE)


def _describe(low: str, had_sep: bool, masked: bool) -> str:
    notes: list[str] = []
    lat = sorted({ch for ch in low if "a" <= ch <= "z"})
    if lat:
        notes.append("латинская «" + "», «".join(lat[:3]) + "»")
    dig = sorted({ch for ch in low if ch.isdigit()})
    if dig:
        notes.append("цифры вместо букв")
    if any(ord(ch) > 0x4FF and ch.isalpha() for ch in low):
        notes.append("похожие символы")
    if masked:
        notes.append("буквы скрыты символами")
    if had_sep:
        notes.append("буквы разделены")
    if _REPEAT3.search(low):
        notes.append("повтор букв")
    return ", ".join(notes)


@lru_cache(maxsize=200_000)
def analyse_word(raw: str) -> tuple[tuple[str, ...], tuple[str, ...], str, bool]:
    """(model parts, lexicon variants, disguise description, masked) for one raw token."""
    low = raw.lower()
    if _PLAIN.fullmatch(low) and not _REPEAT3.search(low):
        # most words: plain Cyrillic, nothing to undo
        low = low.replace("ё", "е")
        return (low,), (squeeze(low),), "", False
    if not any(ch.isalnum() for ch in raw):
        return (), (), "", False
    low = unicodedata.normalize("NFKC", raw).lower().replace("ё", "е")
    if _LATIN_EXT.search(low):
        low = "".join(
            unicodedata.normalize("NFD", ch)[0] if _LATIN_EXT.match(ch) else ch for ch in low
        )
    if _SYLLABLES.search(low) and _CYR.search(low):
        low = _SYLLABLES.sub(lambda m: _SYLLABLE_OF[m.group()], low)
    had_sep = bool(_SEP_SPLIT.search(low))
    joined = _SEP_SPLIT.sub("", low)
    masked = any(m in joined[1:-1] for m in _MASK) and bool(
        _CYR.search(joined) or _LAT.search(joined)
    )
    has_cyr = bool(_CYR.search(joined))
    n_cyr = len(_CYR.findall(joined))
    n_dig = sum(ch.isdigit() for ch in joined)
    # digits stand for letters only inside real words ("3аработок", "п0рн0"), not in "3000р"
    table = _VISUAL if n_cyr >= 2 and n_dig < n_cyr else _VISUAL_NODIGIT
    variants: list[str] = []
    if has_cyr or any(ch in _VISUAL and ord(ch) > 0x7F for ch in joined):
        vis = _map(joined, table)
        variants.append(squeeze(vis))
        if _LAT.search(joined):
            variants.append(squeeze(_map(_map(joined, _PHONETIC), table)))
        if n_dig and table is _VISUAL:
            variants.append(squeeze(_map(_map(joined, _DIGIT_ALT), table)))
        if "ρ" in joined or "ᴘ" in joined:
            # a p-shaped letter in a Russian word is read as "п" as often as "р" ("ρизда")
            variants.append(squeeze(_map(joined.replace("ρ", "п").replace("ᴘ", "п"), table)))
        base = vis
    elif _LAT.search(joined):
        # pure Latin: either an English word or translit ("blyat", "pizdec")
        variants.append(squeeze(translit(joined)))
        base = joined
    else:
        base = joined
    if not variants:
        variants.append(squeeze(base))
    # model parts: the visually de-obfuscated token split at separators
    src = _map(low, table) if has_cyr else low
    parts = tuple(_REPEAT3.sub(r"\1", p) for p in _SEP_SPLIT.split(src) if p)
    if len(parts) >= 3 and all(len(p) == 1 for p in parts):
        parts = ("".join(parts),)  # "п.о.ш.ё.л" is one word to the model too
    disguise = ""
    if (has_cyr and (_LAT.search(joined) or re.search(r"\d", joined) or masked or had_sep)) or (
        _REPEAT3.search(low)
    ):
        disguise = _describe(low, had_sep and len(joined) <= 12, masked)
    elif variants and ord(max(joined or "a")) > 0x4FF:
        disguise = "похожие символы"
    return parts, tuple(dict.fromkeys(variants)), disguise, masked


_SPACED_GAP = re.compile(r"[\s.\-_,/|*]{1,3}")


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    if "3,14" in text:
        text = _PI_COMMA.sub("3.14", text)  # same length: spans still point into the original
    for m in TOKEN_RE.finditer(text):
        parts, variants, disguise, masked = analyse_word(m.group())
        if not variants:
            continue  # only masks, no letters
        out.append(Token(m.start(), m.end(), m.group().lower(), parts, variants, disguise, masked))
    return out


def spaced_words(text: str, tokens: list[Token]) -> list[Token]:
    """Words spelled letter by letter ("х у й", "б.л.я" split by spaces): extra lexicon tokens."""
    extra: list[Token] = []
    if sum(1 for t in tokens if t.end - t.start == 1) < 3:
        return extra  # no run of three one-letter tokens: nothing spelled letter by letter
    i, n = 0, len(tokens)
    while i < n:
        j = i
        while (
            j < n
            and len(tokens[j].variants[0]) == 1
            and tokens[j].end - tokens[j].start == 1
            and (j == i or _SPACED_GAP.fullmatch(text[tokens[j - 1].end : tokens[j].start]))
        ):
            j += 1
        if j - i >= 3:
            raw = "".join(text[t.start : t.end] for t in tokens[i:j])
            _, variants, disguise, _ = analyse_word(raw)
            note = "буквы разделены" + (", " + disguise if disguise else "")
            extra.append(Token(tokens[i].start, tokens[j - 1].end, raw, (), variants, note, False))
            i = j
        else:
            i += 1
    return extra
