"""sendPoll and stopPoll with Telegram's limits (question 1-300 characters, 2-10 options of
1-100, no non-anonymous polls in channels); the votes are set by the test (`vote`)."""

from __future__ import annotations

import itertools
from typing import Any

from ..common import clone
from .api_messages import Call, Handler, post_from_bot, target_chat
from .validation import bad_request

QUESTION = (1, 300)
OPTION = (1, 100)
OPTIONS = (2, 10)
_poll_ids = itertools.count(5_000_000_000_000_000_001)


def _text_of(option: Any) -> str:
    return option if isinstance(option, str) else str(getattr(option, "text", "") or "")


async def send_poll(call: Call) -> Any:
    m = call.model
    chat = target_chat(call, m.chat_id)
    question = m.question or ""
    if not QUESTION[0] <= len(question) <= QUESTION[1]:
        raise bad_request("poll question length must not exceed 300")
    options = [_text_of(o) for o in m.options or []]
    if not OPTIONS[0] <= len(options) <= OPTIONS[1]:
        raise bad_request("poll must have 2-10 options")
    if any(not OPTION[0] <= len(o) <= OPTION[1] for o in options):
        raise bad_request("poll options length must not exceed 100")
    anonymous = True if m.is_anonymous is None else bool(m.is_anonymous)
    if chat.type == "channel" and not anonymous:
        raise bad_request("non-anonymous polls can't be sent to channel chats")
    poll_id = str(next(_poll_ids))
    poll = {
        "id": poll_id,
        "question": question,
        "options": [
            {"persistent_id": f"{poll_id}-{n}", "text": o, "voter_count": 0}
            for n, o in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": anonymous,
        "type": m.type or "regular",
        "allows_multiple_answers": bool(m.allows_multiple_answers),
        "allows_revoting": bool(m.allows_revoting) if m.allows_revoting is not None else True,
        "members_only": bool(m.members_only),
    }
    return post_from_bot(call, chat, {"poll": poll}, markup=m.reply_markup)


async def stop_poll(call: Call) -> Any:
    m = call.model
    chat = target_chat(call, m.chat_id)
    record = chat.messages.get(m.message_id)
    if record is None or "poll" not in record.message:
        raise bad_request("message with poll to stop not found")
    if record.bot_id != call.bot.id:
        raise bad_request("message can't be edited")
    poll = record.message["poll"]
    if poll["is_closed"]:
        raise bad_request("poll has already been closed")
    poll["is_closed"] = True
    call.emu._notify_change()
    return clone(poll)


HANDLERS: dict[str, Handler] = {"sendpoll": send_poll, "stoppoll": stop_poll}
