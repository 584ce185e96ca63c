"""Bot API methods around the messages: updates, commands, chats, members, files."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from .api_messages import Call, Handler, target_chat
from .validation import ApiError, bad_request
from .webhook import WebhookDelivery

DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def _update_kind(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def prune(bot: Any) -> None:
    """Drop the updates the bot did not ask for (allowed_updates), as the server does."""
    allowed = set(bot.allowed_updates or ()) or None
    bot.updates = [
        u
        for u in bot.updates
        if (_update_kind(u) in allowed if allowed else _update_kind(u) not in DEFAULT_EXCLUDED)
    ]


async def get_me(call: Call) -> Any:
    return dict(call.bot.user)


async def get_updates(call: Call) -> Any:
    """Long polling: confirm by offset, answer at once if anything is pending, else wait."""
    emu, bot, m = call.emu, call.bot, call.model
    if bot.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = m.offset or 0
    limit = min(max(m.limit or 100, 1), 100)
    if m.allowed_updates is not None:
        bot.allowed_updates = list(m.allowed_updates)
    if offset > 0:
        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
    elif offset < 0:
        bot.updates = bot.updates[offset:]
    # A newer getUpdates call ends this one with 409, as on the real server.
    bot.poll_generation += 1
    generation = bot.poll_generation
    emu._notify_change()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (m.timeout or 0)
    while True:
        prune(bot)
        if bot.updates:
            return bot.updates[:limit]
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        remaining = deadline - loop.time()
        if remaining <= 0 or (emu._closing is not None and emu._closing.is_set()):
            return []
        try:
            await asyncio.wait_for(emu._change_event().wait(), remaining)
        except TimeoutError:
            pass


async def delete_webhook(call: Call) -> Any:
    bot = call.bot
    bot.webhook_url = ""
    bot.webhook_secret = ""
    if bot.webhook is not None:
        await bot.webhook.stop()
        bot.webhook = None
    if call.model.drop_pending_updates:
        bot.updates.clear()
    return True


async def set_webhook(call: Call) -> Any:
    bot, m = call.bot, call.model
    secret = m.secret_token or ""
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    if not m.url:
        return await delete_webhook(call)
    if m.drop_pending_updates:
        bot.updates.clear()
    if m.allowed_updates is not None:
        bot.allowed_updates = list(m.allowed_updates)
    bot.webhook_url, bot.webhook_secret = m.url, secret
    if bot.webhook is None:
        bot.webhook = WebhookDelivery(call.emu, bot, prune)
    call.emu._notify_change()
    return True


async def get_webhook_info(call: Call) -> Any:
    return {
        "url": call.bot.webhook_url,
        "max_connections": 1,
        "has_custom_certificate": False,
        "pending_update_count": len(call.bot.updates),
    }


def _commands_key(call: Call) -> str:
    scope = call.params.get("scope") or {"type": "default"}
    return json.dumps([scope, call.params.get("language_code") or ""], sort_keys=True)


async def set_my_commands(call: Call) -> Any:
    commands = []
    for command in call.model.commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command.command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command.description) <= 256:
            raise bad_request("command description must be 1-256 characters")
        commands.append({"command": command.command, "description": command.description})
    if len(commands) > 100:
        raise bad_request("too many commands")
    call.bot.commands[_commands_key(call)] = commands
    return True


async def get_my_commands(call: Call) -> Any:
    return call.bot.commands.get(_commands_key(call), [])


async def delete_my_commands(call: Call) -> Any:
    call.bot.commands.pop(_commands_key(call), None)
    return True


async def set_chat_menu_button(call: Call) -> Any:
    button = call.params.get("menu_button") or {"type": "default"}
    call.bot.menu_buttons[call.model.chat_id] = button
    return True


async def get_chat_menu_button(call: Call) -> Any:
    return call.bot.menu_buttons.get(call.model.chat_id, {"type": "commands"})


def _group_chat(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    return chat


async def ban_chat_member(call: Call) -> Any:
    chat = _group_chat(call)
    user_id = call.model.user_id
    if user_id in call.emu.bots:
        raise bad_request("can't remove chat owner")
    chat.banned.add(user_id)
    chat.members.discard(user_id)
    return True


async def unban_chat_member(call: Call) -> Any:
    chat = _group_chat(call)
    user_id = call.model.user_id
    if call.model.only_if_banned and user_id not in chat.banned:
        return True
    chat.banned.discard(user_id)
    return True


async def get_chat(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    info: dict[str, Any] = {
        **chat.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    linked = chat.discussion_group_id or chat.linked_channel_id
    if linked is not None:
        info["linked_chat_id"] = linked
    return info


def _administrator(call: Call, user: dict[str, Any], channel: bool) -> dict[str, Any]:
    rights = dict.fromkeys(
        (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_pin_messages",
        ),
        True,
    )
    if channel:
        rights.update(can_post_messages=True, can_edit_messages=True)
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        "can_send_welcome_messages": False,
        **rights,
    }


def _member(call: Call, chat: Any, user_id: int) -> dict[str, Any]:
    emu = call.emu
    if user_id in emu.bots:
        user = emu._public_user(emu.bots[user_id].user)
        if chat.type != "private" and user_id in chat.bots:
            member = _administrator(call, user, chat.type == "channel")
            member.update(dict.fromkeys(chat.denied_rights, False))
            return member
        return {"status": "member" if user_id in chat.bots else "left", "user": user}
    if user_id not in emu.users:
        raise bad_request("user not found")
    user = dict(emu.users[user_id])
    if user_id in chat.banned:
        return {"status": "kicked", "user": user, "until_date": 0}
    if chat.type == "private":
        return {"status": "member" if user_id == chat.id else "left", "user": user}
    return {"status": "member" if user_id in chat.members else "left", "user": user}


async def get_chat_member(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    return _member(call, chat, call.model.user_id)


async def get_chat_member_count(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    if chat.type == "private":
        raise bad_request("chat not found")
    return chat.subscribers or len(chat.members) + len(chat.bots)


async def get_chat_administrators(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [_member(call, chat, bot_id) for bot_id in sorted(chat.bots)]


async def send_chat_action(call: Call) -> Any:
    target_chat(call, call.model.chat_id)
    if call.model.action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def get_file(call: Call) -> Any:
    from .state import DOWNLOAD_LIMIT

    stored = call.emu.files.by_id.get(call.model.file_id)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if len(stored.data) > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


async def set_message_reaction(call: Call) -> Any:
    chat = target_chat(call, call.model.chat_id)
    if call.model.message_id not in chat.messages:
        raise bad_request("message to react not found")
    return True


HANDLERS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "deletewebhook": delete_webhook,
    "setwebhook": set_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "banchatmember": ban_chat_member,
    "unbanchatmember": unban_chat_member,
    "getchat": get_chat,
    "getchatmember": get_chat_member,
    "getchatmembercount": get_chat_member_count,
    "getchatadministrators": get_chat_administrators,
    "sendchataction": send_chat_action,
    "getfile": get_file,
    "setmessagereaction": set_message_reaction,
}
