"""Bot API methods that change or remove messages, and callback query answers."""

from __future__ import annotations

from typing import Any

from ..common import clone
from .api_messages import Call, Handler, caption_fields, resolve_file, target_chat
from .state import MEDIA_KEYS, ChatState, MessageRecord
from .validation import bad_request, check_reply_markup, formatted

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
DELETE_WINDOW = 48 * 3600
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _editable(call: Call) -> tuple[ChatState, MessageRecord]:
    m = call.model
    if getattr(m, "inline_message_id", None):
        raise bad_request("MESSAGE_ID_INVALID")  # the emulator has no inline mode
    if m.chat_id is None:
        raise bad_request("chat_id is empty")
    chat = target_chat(call, m.chat_id)
    if m.message_id is None:
        raise bad_request("message identifier is not specified")
    record = chat.messages.get(m.message_id)
    if record is None:
        raise bad_request("message to edit not found")
    if record.bot_id != call.bot.id:
        raise bad_request("message can't be edited")
    return chat, record


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    keyboard = check_reply_markup(markup)
    if keyboard is not None and "inline_keyboard" not in keyboard:
        raise bad_request("inline keyboard expected")
    return keyboard


def _apply(
    call: Call,
    chat: ChatState,
    record: MessageRecord,
    changes: dict[str, Any],
    drop: tuple[str, ...],
) -> Any:
    """Replaces fields (None = remove); refuses edits that change nothing."""
    old = record.message
    new = {k: v for k, v in old.items() if k not in drop and k != "edit_date"}
    for key, value in changes.items():
        if value in (None, [], {}):
            new.pop(key, None)
        else:
            new[key] = value
    if {k: v for k, v in old.items() if k != "edit_date"} == new:
        raise bad_request(NOT_MODIFIED)
    new["edit_date"] = int(call.emu.clock())
    record.message = new
    call.emu._emit("edit", chat.id, new)
    if chat.type == "channel":
        _sync_discussion_copy(call, chat, new)
    return clone(new)


def _sync_discussion_copy(call: Call, channel: ChatState, post: dict[str, Any]) -> None:
    """Edits of a channel post show up in its copy in the discussion group."""
    record = call.emu._auto_forward_record(channel.id, post["message_id"])
    if record is None:
        return
    for key in ("text", "entities", "caption", "caption_entities", *MEDIA_KEYS):
        record.message.pop(key, None)
        if key in post:
            record.message[key] = clone(post[key])
    record.message["edit_date"] = post["edit_date"]
    call.emu._emit("edit", record.message["chat"]["id"], record.message)


async def edit_message_text(call: Call) -> Any:
    m = call.model
    chat, record = _editable(call)
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(m.text, m.parse_mode, m.entities, caption=False)
    # Without reply_markup Telegram removes the inline keyboard.
    changes = {"text": text, "entities": entities, "reply_markup": _inline_markup(m.reply_markup)}
    return _apply(call, chat, record, changes, ())


async def edit_message_caption(call: Call) -> Any:
    m = call.model
    chat, record = _editable(call)
    if not any(k in record.message for k in MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    changes: dict[str, Any] = {"caption": None, "caption_entities": None}
    changes.update(caption_fields(m.caption, m.parse_mode, m.caption_entities))
    changes["reply_markup"] = _inline_markup(m.reply_markup)
    return _apply(call, chat, record, changes, ())


async def edit_message_reply_markup(call: Call) -> Any:
    chat, record = _editable(call)
    changes = {"reply_markup": _inline_markup(call.model.reply_markup)}
    return _apply(call, chat, record, changes, ())


async def edit_message_media(call: Call) -> Any:
    m = call.model
    chat, record = _editable(call)
    if not any(k in record.message for k in MEDIA_KEYS):
        raise bad_request("there is no media in the message to edit")
    item = m.media
    if item.type not in ("photo", "video", "document"):
        raise bad_request(f'can\'t parse InputMedia: type "{item.type}" is not supported')
    if "media_group_id" in record.message and (item.type == "document") != (
        "document" in record.message
    ):
        raise bad_request("can't change media type in an album")
    stored = resolve_file(call, item.media, item.type, missing="can't parse InputMedia")
    changes: dict[str, Any] = {"caption": None, "caption_entities": None}
    changes.update(call.emu.files.content(stored))
    changes.update(caption_fields(item.caption, item.parse_mode, item.caption_entities))
    changes["reply_markup"] = _inline_markup(m.reply_markup)
    return _apply(call, chat, record, changes, MEDIA_KEYS)


async def delete_message(call: Call) -> Any:
    m = call.model
    chat = target_chat(call, m.chat_id)
    record = chat.messages.get(m.message_id)
    if record is None:
        raise bad_request("message to delete not found")
    if call.emu.clock() - record.sent_at >= DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    del chat.messages[m.message_id]
    chat.deleted.append(clone(record.message))
    call.emu._emit("delete", chat.id, record.message)
    return True


async def answer_callback_query(call: Call) -> Any:
    m = call.model
    query = call.emu.callback_queries.get(m.callback_query_id)
    too_old = (
        query is None
        or query["bot_id"] != call.bot.id
        or query["answered"]
        or call.emu.clock() - query["created_at"] > call.emu.callback_answer_timeout
    )
    if too_old or query is None:
        raise bad_request(QUERY_INVALID)
    if m.text is not None and len(m.text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer = {"text": m.text, "show_alert": bool(m.show_alert)}
    if m.url:
        answer["url"] = m.url
    query["answered"] = True
    query["answer"] = answer
    call.emu._emit(
        "callback_answer", query["chat_id"], {"callback_query_id": m.callback_query_id, **answer}
    )
    return True


HANDLERS: dict[str, Handler] = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "editmessagemedia": edit_message_media,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
}
