# ruff: noqa: E501  (regex tables read better unbroken)
"""Word lexicons: obscene and vulgar roots, masked spellings, insults and slurs, one word at a time.

All patterns work on normalised text: lowercase, ё→е, look-alikes mapped to Cyrillic and runs of the
same letter squeezed to one ("ебанный" → "ебаный"), so roots are written squeezed too. Roots are
anchored with explicit prefix lists instead of a bare substring search, which is what keeps "хлеб",
"небо", "корабля", "употреблять", "страхуем", "плохую" and "команда" clean.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Verbal prefixes that may precede an obscene root ("на-хуй", "за-ебал", "от-ъ-ебись").
_PFX = (
    r"(?:на|по|ни|за|от|о|об|обо|а|ах|до|ра[сз]|разъ|пере|при|про|вы|у|недо|под|подъ|из|изъ|"
    r"с|съ|въ|в|взъ|объ|отъ|долб[оа]|мудо|нах|впиз|хит?ро|полу|сам[оа]|дураком)?"
)
_OBSCENE = [
    # хуй and derivatives; prefix list keeps "страхуем", "тихую", "плохую" out
    (rf"^{_PFX}ху[йеяюи](?!(?:рг|рк))", "хуй"),
    (r"^ху(?:ли|ле)$", "хуй"),
    (r"^(?:ху|х)ило", "хуй"),
    (r"п[иеi]зд", "пизд"),
    (r"^(?:вы|на|по|за|раз|с)?бля(?!х|мб|ш)", "бля"),
    (r"бляд", "бля"),
    (r"^(?:вы|на|по)?блят", "бля"),
    # еб-: only after a known prefix and before a verbal/noun suffix ("хлеб", "себе", "вебинар")
    (
        rf"^{_PFX}[её]б(?:а(?!ст|й$)|у(?:$|т|ч|ш|щ|н)|н|л(?!ет)|ан|ен|ет|ись|и(?:$|сь|те|ть|шь)|"
        r"ок|к[иа]|ыр|ош|ец|ыв|ыш|ырь|ун)",
        "еб",
    ),
    (r"^[её]п(?:т|тыть|ть)(?:а|ь)?$", "еб"),
    (r"^(?:по|на|за|от|у)?[её]бнут", "еб"),
    (r"долб[оа][её]б|^[её]бл[оа]|^[её]бан", "еб"),
    (r"^(?:за)?муд(?:а[кч]|ил|озв|ох|ень|ня)", "мудак"),
    (r"пид[оа]р|^пидр|педераст|^педик(?:и|а|ов|у|ам|ами)?$", "пидор"),
    (r"г[ао]нд[оа]н", "гандон"),
    (r"шлюх|шалав", "шлюха"),
    (r"^залуп", "залупа"),
    (r"^манд(?:а|у|ой|е|ы|ень|авош\w*|ец)$", "манда"),
    (r"^(?:за|по|на|от|вз|о|за)?дроч", "дрочить"),
    (r"^су(?:ка|ки|ке|ку|кой|чка|чки|чку|чара|чары|чий|чье|чья|чьи|ченыш\w*)$", "сука"),
]
# Vulgar but milder words: still flagged as obscenity, with a lower score.
_VULGAR = [
    (r"^(?:на|по|ни|до|от)?х[е]р(?:а|ов\w*|ня|ни|не|ню|ней|ь)?$|^херн", "хер"),
    (r"^(?:на|по|об|за)?г[оа]вн", "говно"),
    (r"^(?:в|на|по|через)?жоп", "жопа"),
    (r"^(?:на|за|об|по|вы|рас|ус)?сра(?:ть|л|ла|ли|ный|ная|ное|ные|нь|нец|нц|ка|чка)", "срать"),
]
# Latin spellings that are ordinary words, not translit of мат ("ebay", "hue").
_LATIN_OK = {"ебаы", "ебай", "хуе", "суки"}

_OBS_RE = [(re.compile(p), root, 0.97) for p, root in _OBSCENE] + [
    (re.compile(p), root, 0.8) for p, root in _VULGAR
]
# one search over all roots: most words are not obscene, and they pay one search instead of many
_OBS_ANY = re.compile("|".join(f"(?:{p})" for p, _ in _OBSCENE + _VULGAR))

# Canonical forms for resolving masked spellings ("п*здец", "е**ть", "б**дь").
_MASK_TARGETS = """хуй хуя хуе хуи хую хуйня хуйню хуево хуевый нахуй похуй нихуя охуеть охуел ахуеть
охуенно пизда пизду пизды пиздец пиздеть пиздит пиздят пиздабол распиздяй спиздили блядь бляди
блять бля блядский выблядок ебать ебал ебала ебали ебаный ебаная ебут ебет ебло еблан заебал
заебали заебись наебали наебал уебок уебан уебище ебанутый ебанат долбоеб отъебись съебал съебись
сука суки сучка мудак мудаки мудила пидор пидоры пидорас пидарас гандон гондон шлюха залупа
манда говно жопа пиздеж пиздежь херня хрень хрен херовый
дебил дебилы идиот идиоты урод уроды мразь мрази тварь твари сучка ублюдок кретин чмо""".split()
# Rude words that are harmless alone but not when spelled letter by letter ("п.о.ш.ё.л")
RUDE_WORDS = frozenset(
    "пошел пошла пошли пошлите вали валите сдохни сдохните заткнись заткнитесь отвали отвалите "
    "проваливай урод уроды нахер нафиг".split()
)

_INSULT_STRONG = [
    r"^дебил(?!ьн)",
    r"^идиот(?!изм|ск)",
    r"^кретин",
    r"^мраз",
    r"^твар(?:ь|и|ей|ям|ями|ях|юка)$",
    r"^урод(?:ы|а|у|ом|ов|ам|ами|ах|ина|ины|ец|цы|ище)?$",
    r"^ублюд",
    r"^выродо?к",
    r"^быдл",
    r"^чмо",
    r"^чмыр",
    r"^дегенерат",
    r"^придур",
    r"^недоум",
    r"^гнид",
    r"^падл(?:а|ы|е|у|ой)$",
    r"^сволоч",
    r"^паскуд",
    r"^скотин",
    r"^даун(?:ы|а|ов|ам|ами|ище)?$",
    r"^имбецил",
    r"^олигофрен",
    r"^ушлеп",
    r"^ублюдк",
    r"^дибил",
    r"^дол[б]?[оа]?[её]?б",
    r"^далба",
    r"^долбан",
    r"^поганец",
    r"^подонок|^подонк",
    r"^мерз[ао]в(?:ец|цы|ка)",
    r"^свинот|^козлин|^тупорыл|^тупоголов|^безмозгл|^отморозк|^отморозок|^шваль|^гопот",
    r"^убожеств|^деградант|^деградк|^биомусор|^биомасс|^отребь|^ущербн|^чучел|^жирдя|^жиробас",
    r"^шавк|^лизоблюд|^подстилк|^чмошн|^говнюк|^засранц|^конч[еи]н(?:ый|ая|ые|ого)$",
    r"^лошар|^обосран|^обос?ан|^с?сыкл|^сосун|^проститут|^петух(?:и|ов|ам)?$|^петушар",
]
# Weak insults: only an insult when addressed ("ты дурак", "вы все бараны").
_INSULT_WEAK = [
    r"^дура(?:к|ки|ков|ка|кам|чье|чок)?$",
    r"^дурынд",
    r"^туп(?:ой|ая|ые|ого|ым|ица|ицы)$",
    r"^коз[её]?л(?:ы|ов|ам|ина)?$",
    r"^баран(?:ы|ов|ам|ами)?$",
    r"^свинь(?:я|и|ей|ям)$",
    r"^клоун(?:ы|ов|ам|ами)?$",
    r"^лох(?:и|ов|ам|ами)?$",
    r"^овц(?:а|ы)$",
    r"^олен(?:ь|и|ей)$",
    r"^ос[её]л$|^ослы$",
    r"^шакал(?:ы|ов)?$",
    r"^крыс(?:а|ы)$",
    r"^ничтожеств",
    r"^тормоз$",
    r"^бездар(?:ь|и|ей)$",
    r"^болван",
    r"^остолоп",
    r"^пустозвон",
    r"^шут$",
    r"^холоп(?:ы|ов)?$",
    r"^рабы$",
    r"^нелюд",
    r"^животн(?:ое|ые)$",
    r"^гад(?:ы|ов|ина)?$",
]
# Ethnic, religious and political slurs: an insult to a group, reported as incitement of hatred.
_HATE = [
    r"^чурк|^чурбан(?:ы|ов|ам|ами)?$|^чурок$|^хач(?:и|ей|ам|ами|ик\w*|ь[её]|ья|ью)?$",
    r"^жид(?:ы|ов|ам|ами|овск\w*|яр\w*|ок|ки|омасон\w*)?$|^жидомасон",
    r"^хохл(?:ы|ов|ам|ами|ятск\w*|ушк\w*)$|^хохол$|^ватн(?:ик|ики|иков|икам)$|^ватный$|^ватан\w*",
    r"^укроп(?:ы|ов|ам|ами)$|^кацап\w*|^москал\w*|^пиндос\w*|^америкос\w*|^рашист\w*|^русн[яиюе]$",
    r"^черножоп\w*|^чернозад\w*|^черномаз\w*|^чернож\w*|^нерусь|^нерусск(?:ие|их|им)$",
    r"^узкоглаз\w*|^косоглаз\w*|^чебурек(?:и|ов|ам)$|^понаех\w*|^цыган[ьь][её]|^цыганв\w*",
    r"^либераст\w*|^либерал[ао]ид\w*|^навальнят\w*|^путиноид\w*|^путинойд\w*|^путлер\w*",
    r"^единорос(?:ы|ов|ам|ня)$|^гомосек\w*|^гомик(?:и|ов|ам)?$|^педик(?:и|ов|ам)?$",
    r"^зверь[её]$|^чушк(?:и|а)$|^обезьян(?:ы|ами)$|^чукч(?:и|а)$|^азер(?:ы|ов|ам)$",
]
_HATE_RE = re.compile("|".join(_HATE))
_INS_STRONG_RE = re.compile("|".join(_INSULT_STRONG))
_INS_WEAK_RE = re.compile("|".join(_INSULT_WEAK))
# Idioms where an insult word is not aimed at anyone: "не держите нас за дураков".
IDIOM_RE = re.compile(
    r"\bза (?:дураков|дурака|дуру|идиотов|идиота|дебилов|лохов|баранов|быдло|кретинов)\b"
    r"|\b(?:мы|я|вы|они|люди) (?:вам |тут |же )?не (?:быдло|бараны|рабы|холопы|лохи|дураки|идиоты|"
    r"скот|стадо|овцы|дебилы)\b"
)
# Markers that a weak insult is aimed at someone.
ADDRESS_RE = re.compile(r"(?:^| )(?:ты|вы|тебя|вас|тебе|вам|твой|твоя|ваш|ваша|сам|сама)(?: |$)")


@lru_cache(maxsize=100_000)
def obscene_root(word: str) -> tuple[str, float] | None:
    """Root and score if a normalised (squeezed) word is obscene or vulgar."""
    if len(word) < 3 and word not in ("еб",):
        return None
    if word in _LATIN_OK:
        return None
    if not _OBS_ANY.search(word):
        return None
    for rx, root, score in _OBS_RE:  # the first listed root wins, as it always did
        if rx.search(word):
            return root, score
    return None


@lru_cache(maxsize=20_000)
def masked_match(word: str) -> str | None:
    """Resolve a masked spelling like "п*здец" or "е**ть" to a known obscene word."""
    pat = re.sub(r"[*#%]+", "\x00", word.replace("ё", "е"))
    if pat.count("\x00") == 0 or sum(ch.isalpha() for ch in pat) < 1:
        return None
    rx = re.compile("".join(".{1,3}" if ch == "\x00" else re.escape(ch) for ch in pat))
    for target in _MASK_TARGETS:
        if rx.fullmatch(target):
            return target
    return None


@lru_cache(maxsize=100_000)
def insult_kind(word: str) -> str | None:
    """ "hate" (a slur against a group), "strong", "weak" (an insult only when addressed)."""
    if len(word) < 3:
        return None
    if _HATE_RE.search(word):
        return "hate"
    if _INS_STRONG_RE.search(word):
        return "strong"
    if _INS_WEAK_RE.search(word):
        return "weak"
    return None
