"""Bot API methods that create messages: send*, sendMediaGroup, copyMessage, forwardMessage."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..common import clone
from .state import SERVICE_USER, ChatState, StoredFile, content_of
from .validation import ApiError, bad_request, check_reply_markup, formatted

if TYPE_CHECKING:
    from aiogram.methods.base import TelegramMethod

    from .emulator import TelegramEmulator
    from .state import BotState

FilePart = tuple[bytes, str, str]  # data, filename, content type


@dataclass
class Call:
    """One Bot API request after validation."""

    emu: TelegramEmulator
    bot: BotState
    name: str
    model: TelegramMethod[Any]
    params: dict[str, Any]
    files: dict[str, FilePart] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[Any]]
# sendPhoto: "The photo must be at most 10 MB in size" (core.telegram.org/bots/api#sendphoto);
# other files up to 50 MB (the server's client_max_size answers 413 above it). Bytes that are
# no image are refused the way Telegram refuses them (IMAGE_PROCESS_FAILED).
PHOTO_LIMIT = 10 * 1024 * 1024
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def is_image(data: bytes) -> bool:
    return data.startswith(IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


_KIND_NAMES = {"photo": "Photo", "video": "Video", "document": "Document", "sticker": "Sticker"}


def target_chat(call: Call, chat_id: Any) -> ChatState:
    """The chat a bot addresses, with the errors Telegram gives for unreachable chats."""
    emu = call.emu
    if isinstance(chat_id, str):
        name = chat_id.removeprefix("@").lower()
        found = [c for c in emu.chats.values() if c.chat.get("username", "").lower() == name]
        if not chat_id.startswith("@") or not found:
            raise bad_request("chat not found")
        chat_id = found[0].id
    chat = emu.chats.get(chat_id)
    if chat is None:
        if chat_id in emu.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")
    if chat.type == "private":
        if call.bot.id not in chat.bots:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat.id in call.bot.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
    elif call.bot.id not in chat.bots:
        kind = "channel" if chat.type == "channel" else "supergroup"
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
    return chat


def resolve_file(call: Call, value: Any, kind: str, *, missing: str) -> StoredFile:
    """An InputFile reference: attach://part (new upload), a file_id, or a URL."""
    files = call.emu.files
    if not isinstance(value, str) or not value:
        raise bad_request(missing)
    if value.startswith("attach://"):
        part = call.files.get(value.removeprefix("attach://"))
        if part is None:
            raise bad_request(missing)
        data, filename, content_type = part
        if not data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if not is_image(data):
                raise bad_request("IMAGE_PROCESS_FAILED")
            if len(data) > PHOTO_LIMIT:
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            return files.add_photo(data)
        mime = content_type if content_type and content_type != "application/octet-stream" else None
        mime = mime or mimetypes.guess_type(filename)[0]
        return files.add(data, kind, mime_type=mime, file_name=filename)
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = files.by_id.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(
            f"can't use file of type {_KIND_NAMES[stored.kind]} as {_KIND_NAMES[kind]}"
        )
    return stored


def caption_fields(text: str | None, parse_mode: Any, entities: Any) -> dict[str, Any]:
    plain, ents = formatted(text, parse_mode, entities, caption=True)
    out: dict[str, Any] = {}
    if plain:
        out["caption"] = plain
        if ents:
            out["caption_entities"] = ents
    return out


def reply_target(call: Call, chat: ChatState) -> int | None:
    model = call.model
    params = getattr(model, "reply_parameters", None)
    message_id = params.message_id if params else getattr(model, "reply_to_message_id", None)
    if message_id is None:
        return None
    if message_id in chat.messages:
        return int(message_id)
    allow = (params.allow_sending_without_reply if params else None) or getattr(
        model, "allow_sending_without_reply", None
    )
    if allow:
        return None
    raise bad_request("message to be replied not found")


def post_from_bot(
    call: Call, chat: ChatState, content: dict[str, Any], *, markup: Any = None
) -> dict[str, Any]:
    """Posts a bot message with its keyboard; channel posts also reach the discussion group."""
    keyboard = check_reply_markup(markup)
    if keyboard and "inline_keyboard" in keyboard:
        content = {**content, "reply_markup": keyboard}
    elif keyboard and "keyboard" in keyboard:
        chat.reply_keyboard = keyboard
    elif keyboard and keyboard.get("remove_keyboard"):
        chat.reply_keyboard = None
    reply_to = reply_target(call, chat)
    bot_user = call.emu._public_user(call.bot.user)
    msg = call.emu._post(chat, bot_user, call.bot.id, content, reply_to)
    if chat.type == "channel":
        auto_forward(call.emu, chat, msg)
    return clone(msg)


def auto_forward(emu: TelegramEmulator, channel: ChatState, post: dict[str, Any]) -> None:
    """Telegram copies every channel post into the linked discussion group."""
    group = emu.chats.get(channel.discussion_group_id or 0)
    if group is None:
        return
    content = content_of(post)
    if "media_group_id" in content:
        # The copies of an album form their own album in the group.
        content["media_group_id"] = str(int(content["media_group_id"]) + 1)
    extra = {
        "sender_chat": dict(channel.chat),
        "is_automatic_forward": True,
        "forward_origin": {
            "type": "channel",
            "chat": dict(channel.chat),
            "message_id": post["message_id"],
            "date": post["date"],
        },
    }
    emu._post(group, dict(SERVICE_USER), None, content, extra=extra)


async def send_message(call: Call) -> Any:
    m = call.model
    chat = target_chat(call, m.chat_id)
    text, entities = formatted(m.text, m.parse_mode, m.entities, caption=False)
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return post_from_bot(call, chat, content, markup=m.reply_markup)


def _send_file(kind: str) -> Handler:
    async def handler(call: Call) -> Any:
        m = call.model
        chat = target_chat(call, m.chat_id)
        stored = resolve_file(
            call, call.params.get(kind), kind, missing=f"there is no {kind} in the request"
        )
        content = call.emu.files.content(stored)
        content.update(caption_fields(m.caption, m.parse_mode, m.caption_entities))
        if getattr(m, "show_caption_above_media", None):
            content["show_caption_above_media"] = True
        return post_from_bot(call, chat, content, markup=m.reply_markup)

    return handler


async def send_media_group(call: Call) -> Any:
    m = call.model
    chat = target_chat(call, m.chat_id)
    items = list(m.media)
    if len(items) > 10:
        raise bad_request("Too many messages to send as an album")
    if len(items) < 2:
        raise bad_request("media group must contain 2-10 items")
    types = {item.type for item in items}
    if "document" in types and types != {"document"}:
        raise bad_request("document can't be mixed with other media types")
    if not types <= {"photo", "video", "document"}:
        raise bad_request(f'can\'t parse InputMedia: type "{sorted(types)[0]}" is not supported')
    contents = []
    for item in items:  # validate everything before posting anything
        stored = resolve_file(
            call, item.media, item.type, missing="can't parse InputMedia: media not found"
        )
        content = call.emu.files.content(stored)
        content.update(caption_fields(item.caption, item.parse_mode, item.caption_entities))
        contents.append(content)
    reply_target(call, chat)  # fail before posting anything
    group_id = call.emu._media_group_id()
    sent = []
    for content in contents:
        content["media_group_id"] = group_id
        sent.append(post_from_bot(call, chat, content))
    return sent


def _source(call: Call, what: str) -> dict[str, Any]:
    m = call.model
    source_chat = target_chat(call, m.from_chat_id)
    record = source_chat.messages.get(m.message_id)
    if record is None:
        raise bad_request(f"message to {what} not found")
    return record.message


async def copy_message(call: Call) -> Any:
    m = call.model
    source = _source(call, "copy")
    chat = target_chat(call, m.chat_id)
    content = content_of(source)
    content.pop("media_group_id", None)
    if m.caption is not None and "text" not in content:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_fields(m.caption, m.parse_mode, m.caption_entities))
    msg = post_from_bot(call, chat, content, markup=m.reply_markup)
    return {"message_id": msg["message_id"]}


async def forward_message(call: Call) -> Any:
    m = call.model
    source = _source(call, "forward")
    chat = target_chat(call, m.chat_id)
    if source["chat"]["type"] == "channel":
        origin = {
            "type": "channel",
            "chat": source["chat"],
            "message_id": source["message_id"],
            "date": source["date"],
        }
    else:
        origin = {"type": "user", "sender_user": source.get("from"), "date": source["date"]}
    content = content_of(source)
    content.pop("media_group_id", None)
    bot_user = call.emu._public_user(call.bot.user)
    msg = call.emu._post(chat, bot_user, call.bot.id, content, extra={"forward_origin": origin})
    return clone(msg)


HANDLERS: dict[str, Handler] = {
    "sendmessage": send_message,
    "sendphoto": _send_file("photo"),
    "sendvideo": _send_file("video"),
    "senddocument": _send_file("document"),
    "sendmediagroup": send_media_group,
    "copymessage": copy_message,
    "forwardmessage": forward_message,
}
