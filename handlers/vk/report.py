"""Reporting an event in the community's messages: the same steps and words as in Telegram.

The dialog only collects the answers; the report itself goes to the core (Desk.submit_report).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from vkbottle import BaseStateGroup, StatePeer

from bot import reporting
from bot.domain import MediaKind
from bot.editorial import MAX_ATTACHMENTS, NewMedia
from bot.errors import Invalid
from handlers.vk.chat import Turn, VKChat
from handlers.vk.render import inline_keyboard, menu_keyboard
from storage.models import Person


class ReportState(BaseStateGroup):
    TITLE = "title"
    DATE = "date"
    PLACE = "place"
    DESCRIPTION = "description"
    MEDIA = "media"
    CONFIRM = "confirm"


UNSUPPORTED = reporting.unsupported(reporting.VK_FILES)
# A video attached as a VK video comes with its `files` links (mp4_*) only for some videos and
# apps (not confirmed which); without them it cannot be fetched, the same file sent as «Файл» can.
NO_VIDEO_FILE = (
    "Это видео ВКонтакте не даёт боту скачать. Пришлите тот же ролик файлом: "
    "«Прикрепить» → «Файл» (MP4 или MOV, до 20 МБ)."
)
FETCH_FAILED = "Не удалось получить файл из ВКонтакте. Пришлите его ещё раз, пожалуйста."


def _b(label: str, step: str, arg: str = "") -> tuple[str, dict[str, Any]]:
    return label, {"r": step, "a": arg}


DATE_BUTTONS = inline_keyboard([[_b("Сегодня", "date", "сегодня"), _b("Вчера", "date", "вчера")]])
MEDIA_BUTTONS = inline_keyboard(
    [[_b("Готово", "media", "done"), _b("Без вложений", "media", "none")]]
)
DONE_BUTTONS = inline_keyboard([[_b("Готово", "media", "done")]])


def media_buttons(media: list) -> str:
    """Once files came, «Без вложений» is gone: pressing it would only confuse."""
    return DONE_BUTTONS if media else MEDIA_BUTTONS


CONFIRM_BUTTONS = inline_keyboard(
    [[_b("Отправить", "send")], [_b("Изменить", "change"), _b("Отмена", "cancel")]]
)
RESTART_BUTTONS = inline_keyboard(
    [[_b(reporting.RESTART, "restart", "yes")], [_b(reporting.KEEP_GOING, "restart", "no")]]
)
CHANGE_BUTTONS = inline_keyboard(
    [
        [_b("Название", "goto", "title"), _b("Дату", "goto", "date"), _b("Место", "goto", "place")],
        [_b("Описание", "goto", "description"), _b("Вложения", "goto", "media")],
    ]
)
PROMPTS: dict[str, tuple[str, str | None]] = {
    "title": (reporting.ASK_TITLE, None),
    "date": (reporting.ASK_DATE, DATE_BUTTONS),
    "place": (reporting.ASK_PLACE, None),
    "description": (reporting.ASK_DESCRIPTION, None),
    "media": (reporting.ask_media(reporting.VK_FILES), MEDIA_BUTTONS),
}


def step_of(peer: StatePeer | None) -> str | None:
    """The report step a person is at, or None when they are not reporting."""
    if peer is None:
        return None
    group, _, step = str(peer.state).partition(":")
    known = group == ReportState.__name__ and step in (*PROMPTS, "confirm")
    return step if known else None


async def ask(chat: VKChat, turn: Turn, step: str, data: dict[str, Any]) -> None:
    await chat.states.set(turn.peer_id, ReportState(step), **data)
    text, keyboard = PROMPTS[step]
    await chat.say(turn, text, keyboard)


async def start(chat: VKChat, turn: Turn, step: str | None, data: dict[str, Any]) -> None:
    """A new report; one half filled in is not thrown away without asking."""
    if step is not None and reporting.is_half_filled(data):
        await chat.say(turn, reporting.restart_question(data), RESTART_BUTTONS)
        return
    await ask(chat, turn, "title", {})


async def resume(chat: VKChat, turn: Turn, step: str, data: dict[str, Any]) -> None:
    """Ask the open step's question again (with its buttons), or show the summary again."""
    if step == "confirm":
        await show_summary(chat, turn, data)
        return
    text, keyboard = PROMPTS[step]
    if step == "media":
        keyboard = media_buttons(data.get("media", []))
    await chat.say(turn, f"{reporting.RESUMED}\n{text}", keyboard)


async def next_step(chat: VKChat, turn: Turn, step: str, data: dict[str, Any]) -> None:
    """Go on to `step`, or back to the summary when the person was changing one field."""
    if data.get("changing"):
        await show_summary(chat, turn, data)
    else:
        await ask(chat, turn, step, data)


async def on_message(
    chat: VKChat, turn: Turn, person: Person, step: str, data: dict[str, Any]
) -> None:
    if step == "media":
        await got_media(chat, turn, data)
        return
    if step == "confirm":
        await chat.say(turn, reporting.waiting_confirm(data))
        return
    text = " ".join(turn.text.split())
    if not text:
        await chat.say(turn, f"{reporting.NEED_TEXT} Прервать: «Отмена».")
        return
    try:
        if step == "title":
            await next_step(chat, turn, "date", {**data, "title": reporting.title(text)})
        elif step == "date":
            await set_date(chat, turn, text, data)
        elif step == "place":
            await next_step(chat, turn, "description", {**data, "place": reporting.place(text)})
        elif step == "description":
            await next_step(chat, turn, "media", {**data, "description": turn.text.strip()})
    except Invalid as exc:
        await chat.say(turn, exc.message)


async def set_date(chat: VKChat, turn: Turn, text: str, data: dict[str, Any]) -> None:
    try:
        event_date = reporting.event_date(text, chat.desk.today())
    except Invalid as exc:
        await chat.say(turn, exc.message, DATE_BUTTONS)
        return
    await next_step(chat, turn, "place", {**data, "date": event_date.isoformat()})


def attachment_source(attachment: dict[str, Any]) -> dict[str, Any] | str:
    """Where to fetch one VK attachment (5.199 shapes), or the Russian reason it can't be taken."""
    kind = attachment.get("type")
    if kind == "photo":
        photo = attachment["photo"]
        sizes = [photo["orig_photo"]] if photo.get("orig_photo") else photo.get("sizes") or []
        if not sizes:
            return FETCH_FAILED
        biggest = max(sizes, key=lambda s: (s.get("width") or 0) * (s.get("height") or 0))
        return {
            "kind": MediaKind.photo,
            "url": biggest["url"],
            "name": f"vk_photo{photo['owner_id']}_{photo['id']}.jpg",
            "mime": "image/jpeg",
        }
    if kind == "doc":
        # A file attached with «Файл»: whatever its name says, its bytes decide what it is
        # (bot/filetypes.py), once fetched; a PDF named «x.txt» is still a PDF.
        doc = attachment["doc"]
        ext = (doc.get("ext") or "").lower()
        if (doc.get("size") or 0) > reporting.FILE_LIMIT:
            return reporting.TOO_BIG_FILE
        title = doc.get("title") or (f"document.{ext}" if ext else "document")
        return {
            "kind": MediaKind.document,
            "url": doc["url"],
            "name": title if not ext or title.lower().endswith(f".{ext}") else f"{title}.{ext}",
            "mime": mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
        }
    if kind == "video":
        return video_source(attachment["video"])
    return UNSUPPORTED


def video_source(video: dict[str, Any]) -> dict[str, Any] | str:
    """A VK video from a message: its biggest MP4 among `files` (video_video_files)."""
    files = video.get("files") or {}
    sizes = sorted(
        (int(name.removeprefix("mp4_")), url)
        for name, url in files.items()
        if name.startswith("mp4_") and name.removeprefix("mp4_").isdigit() and url
    )
    if not sizes:
        return NO_VIDEO_FILE
    return {
        "kind": MediaKind.video,
        "url": sizes[-1][1],
        "name": f"vk_video{video['owner_id']}_{video['id']}.mp4",
        "mime": "video/mp4",
    }


async def fetch_media(
    chat: VKChat, attachments: list[dict[str, Any]], kept: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The attachments fetched and put in the media store, after those `kept` (up to 10); and
    each reason once for those that could not be taken. For a report and an editor's new files."""
    media = list(kept)
    problems: list[str] = []
    for attachment in attachments:
        source = attachment_source(attachment)
        if isinstance(source, str):
            problems.append(source)
            continue
        if len(media) >= MAX_ATTACHMENTS:
            problems.append(reporting.TOO_MANY_FILES)
            break
        # Fetched now, not at «Отправить»: VK's file links expire, the media store does not.
        content = await chat.download(source.pop("url"), reporting.FILE_LIMIT)
        if content is None:
            problems.append(FETCH_FAILED)
            continue
        try:
            source = reporting.attachment(source, content)
        except Invalid as exc:
            problems.append(exc.message)
            continue
        source["sha256"] = await chat.desk.media.keep(content)
        media.append(source)
    return media, list(dict.fromkeys(problems))


def new_media(media: list[dict[str, Any]]) -> list[NewMedia]:
    """What the core takes for files already in the media store."""
    return [
        NewMedia(MediaKind(item["kind"]), item["name"], item["mime"], sha256=item["sha256"])
        for item in media
    ]


async def got_media(chat: VKChat, turn: Turn, data: dict[str, Any]) -> None:
    kept = data.get("media", [])
    if not turn.attachments:
        word = turn.text.strip().lower()
        if word in ("готово", "без вложений"):
            await media_done(chat, turn, data, word == "без вложений")
            return
        await chat.say(
            turn, reporting.waiting_files(reporting.VK_FILES, len(kept)), media_buttons(kept)
        )
        return
    media, problems = await fetch_media(chat, turn.attachments, kept)
    if len(media) != len(kept):
        await chat.states.set(turn.peer_id, ReportState.MEDIA, **{**data, "media": media})
    for problem in problems:
        await chat.say(turn, problem, None if media else MEDIA_BUTTONS)
    if media:
        await chat.say(turn, reporting.received(len(media)), DONE_BUTTONS)


async def media_done(chat: VKChat, turn: Turn, data: dict[str, Any], none: bool) -> None:
    """«Готово», or «Без вложений» — which after files came keeps them, and says so."""
    if none and data.get("media"):
        await chat.say(turn, reporting.KEPT_FILES)
    await show_summary(chat, turn, {**data, "media": data.get("media", [])})


async def show_summary(chat: VKChat, turn: Turn, data: dict[str, Any]) -> None:
    text = reporting.summary(data, chat.desk.today())
    data = {**data, "changing": False, "asked_change": False, "summary": text}
    await chat.states.set(turn.peer_id, ReportState.CONFIRM, **data)
    await chat.say(turn, text, CONFIRM_BUTTONS)


async def on_press(
    chat: VKChat, turn: Turn, person: Person, step: str | None, data: dict[str, Any]
) -> None:
    button, arg = turn.payload.get("r"), str(turn.payload.get("a", ""))
    if step is not None and button == "restart":
        await chat.answer(turn)
        await chat.take_buttons_away(turn, reporting.restart_question(data))
        if arg == "yes":
            await ask(chat, turn, "title", {})
        else:
            await resume(chat, turn, step, data)
    elif step == "date" and button == "date":
        await chat.answer(turn)
        await set_date(chat, turn, arg, data)
    elif step == "media" and button == "media":
        await chat.answer(turn)
        await media_done(chat, turn, data, arg == "none")
    elif step == "confirm" and button == "change":
        await chat.answer(turn)
        await chat.states.set(turn.peer_id, ReportState.CONFIRM, **{**data, "asked_change": True})
        await chat.say(turn, reporting.ASK_CHANGE, CHANGE_BUTTONS)
    elif step == "confirm" and button == "goto" and arg in PROMPTS:
        await chat.answer(turn)
        await ask(chat, turn, arg, {**data, **reporting.change(arg)})
    elif step == "confirm" and button == "cancel":
        await chat.answer(turn)
        await chat.states.delete(turn.peer_id)
        await chat.take_buttons_away(turn, data.get("summary", ""))
        await chat.say(turn, reporting.CANCELLED, menu_keyboard())
    elif step == "confirm" and button == "send":
        await chat.answer(turn, "Отправляю…")
        await send_report(chat, turn, person, data)
    else:
        known = data if step is not None else await chat.states.leftover(turn.peer_id)
        await chat.answer(turn, reporting.stale_button(step, known))


async def send_report(chat: VKChat, turn: Turn, person: Person, data: dict[str, Any]) -> None:
    media = []
    for item in data.get("media", []):
        if not chat.desk.media.has(item["sha256"]):  # the folder was cleaned: ask again
            await chat.say(turn, "Вложения потерялись при обновлении бота. Пришлите их ещё раз.")
            await ask(chat, turn, "media", {**data, "media": []})
            return
        media.append(
            NewMedia(MediaKind(item["kind"]), item["name"], item["mime"], sha256=item["sha256"])
        )
    result = await chat.desk.submit_report(person, reporting.report_input(data, media))
    await chat.states.delete(turn.peer_id, sent=result.report_id)
    await chat.take_buttons_away(turn, data.get("summary", ""))
    await chat.say(turn, reporting.submitted(result), menu_keyboard())
