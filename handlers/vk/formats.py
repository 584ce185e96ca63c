"""A poll, a live broadcast or a contest added to a draft from the community's messages, for an
editor who works in VK: the same questions and the same core calls as in Telegram
(handlers/telegram/formats.py); a refused answer is said and the question stays."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.broadcasts import parse_link
from bot.contests import parse_winners
from bot.formats import FORMAT_ACTIONS, poll_kind_card
from bot.polls import parse_options, parse_question
from bot.ports import Action, PollSpec
from handlers.vk import deciding
from handlers.vk.chat import Turn, VKChat
from handlers.vk.render import card_keyboard
from storage.models import Person

PREFIX = "Formats:"
STOP = " Прервать: «Отмена»."


def handles(chat: VKChat, payload: dict[str, Any]) -> bool:
    return payload.get("d") in FORMAT_ACTIONS and getattr(chat, "polls", None) is not None


def waiting(peer: object) -> str:
    """The format question this dialogue waits an answer to ("" for none)."""
    state = str(getattr(peer, "state", "")) if peer is not None else ""
    return state.removeprefix(PREFIX) if state.startswith(PREFIX) else ""


async def ask(chat: VKChat, turn: Turn, step: str, text: str, **data: Any) -> None:
    await chat.states.set(turn.peer_id, PREFIX + step, **data)
    await chat.say(turn, text + STOP)


async def on_press(chat: VKChat, turn: Turn, person: Person) -> None:
    polls, broadcasts, contests = chat.polls, chat.broadcasts, chat.contests  # type: ignore[attr-defined]
    polls.require_editor(person)
    action = Action(turn.payload["d"])
    post_id, arg = int(turn.payload.get("r") or 0), str(turn.payload.get("a") or "")
    await chat.answer(turn)
    match action:
        case Action.add_poll:
            await polls.may_add(post_id)
            await ask(
                chat,
                turn,
                "poll_question",
                f"Опрос к черновику № {post_id}. Напишите вопрос (до 300 знаков).",
                post_id=post_id,
            )
        case Action.poll_kind:
            peer = await chat.states.get(turn.peer_id)
            data = dict(peer.payload or {}) if peer is not None else {}
            if waiting(peer) != "poll_kind" or data.get("post_id") != post_id:
                await chat.say(turn, "Этот вопрос уже не ждёт ответа.")
                return
            await ask(
                chat,
                turn,
                "poll_end",
                "Когда подвести итоги? Например: «завтра 18:00» или «25.12 12:00».",
                **data,
                multiple=arg == "n",
            )
        case Action.add_broadcast:
            await broadcasts.may_add(post_id)
            await ask(
                chat,
                turn,
                "broadcast_link",
                f"Трансляция к черновику № {post_id}. Пришлите ссылку на трансляцию.",
                post_id=post_id,
            )
        case Action.add_contest:
            await contests.may_add(post_id)
            await ask(
                chat,
                turn,
                "contest_rules",
                f"Конкурс к черновику № {post_id}. Напишите условия: что разыгрывается и кто "
                "может участвовать. Участвовать — комментарием под публикацией.",
                post_id=post_id,
            )
        case Action.publish_recording:
            card = await broadcasts.publish_recording(post_id, person)
            await chat.take_buttons_away(turn, card.text)
            await chat.say(turn, card.text)


async def on_message(chat: VKChat, turn: Turn, person: Person, peer: Any) -> None:
    text = turn.text.strip()
    if not text:
        await chat.say(turn, "Пришлите, пожалуйста, текстом." + STOP)
        return
    data = dict(peer.payload or {})
    desk = chat.desk  # type: ignore[attr-defined]
    match waiting(peer):
        case "poll_question":
            await ask(
                chat,
                turn,
                "poll_options",
                "Теперь варианты ответа — каждый с новой строки, от 2 до 10.",
                **data,
                question=parse_question(text),
            )
        case "poll_options":
            options = list(parse_options(text))
            await chat.states.set(turn.peer_id, PREFIX + "poll_kind", **data, options=options)
            card = poll_kind_card(data["post_id"])
            await chat.say(turn, card.text, card_keyboard(card))
        case "poll_kind":
            await chat.say(turn, "Выберите кнопкой под вопросом «Сколько ответов можно выбрать?».")
        case "poll_end":
            spec = PollSpec(
                data["question"],
                tuple(data["options"]),
                bool(data["multiple"]),
                desk.parse_time(text),
            )
            await chat.polls.add(data["post_id"], person, spec)  # type: ignore[attr-defined]
            await done(chat, turn, data["post_id"], "Опрос добавлен.")
        case "broadcast_link":
            await ask(
                chat,
                turn,
                "broadcast_start",
                "Когда начало трансляции? Например: «завтра 18:00».",
                **data,
                link=parse_link(text),
            )
        case "broadcast_start":
            starts = desk.parse_time(text)
            await chat.broadcasts.add(data["post_id"], person, data["link"], starts)  # type: ignore[attr-defined]
            await done(chat, turn, data["post_id"], "Трансляция добавлена.")
        case "contest_rules":
            await ask(chat, turn, "contest_end", "Когда подводим итоги?", **data, rules=text)
        case "contest_end":
            ends = desk.parse_time(text)
            await ask(
                chat, turn, "contest_winners", "Сколько победителей?", **data, ends=ends.isoformat()
            )
        case "contest_winners":
            winners = parse_winners(text)
            ends_at = datetime.fromisoformat(data["ends"])
            await chat.contests.add(data["post_id"], person, data["rules"], ends_at, winners)  # type: ignore[attr-defined]
            await done(chat, turn, data["post_id"], "Конкурс добавлен.")


async def done(chat: VKChat, turn: Turn, post_id: int, what: str) -> None:
    await chat.states.delete(turn.peer_id)
    desk = chat.desk  # type: ignore[attr-defined]
    card = desk.preview(await desk.view(post_id))
    # The draft's card anew, with its photos, and remembered for the core's redraws (as
    # Telegram's show_draft remembers it).
    await deciding.show(chat, turn, replace(card, text=f"{what}\n\n{card.text}"), post_id)
