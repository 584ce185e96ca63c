"""The preview per network and a published post's corrections in the community's messages, for
an editor who works in VK: each press or message is one call into bot/preview.py or
bot/corrections.py, as in Telegram (handlers/telegram/preview.py, corrections.py)."""

from __future__ import annotations

from typing import Any

from bot.corrections import Corrections
from bot.ports import Action, Card
from bot.preview import Previews
from handlers.vk.chat import Turn, VKChat
from handlers.vk.render import card_keyboard
from storage.models import Person

NETWORK_TEXT = "EditorText:network"  # «Текст для …»: the next message is that network's text
PUBLISHED_TEXT = "EditorText:published"  # «Изменить текст» of a published post
PREVIEW_ACTIONS = {Action.preview, Action.accept_fit, Action.network_text, Action.common_text}
CORRECTION_ACTIONS = {Action.edit_published, Action.delete_published, Action.delete_confirmed}
ACTIONS = PREVIEW_ACTIONS | CORRECTION_ACTIONS


def handles(chat: VKChat, payload: dict[str, Any]) -> bool:
    return payload.get("d") in ACTIONS and chat.previews is not None


def waiting(peer: object) -> str:
    """Which editor's text this dialogue waits for ("" for none)."""
    state = str(getattr(peer, "state", "")) if peer is not None else ""
    return state if state in (NETWORK_TEXT, PUBLISHED_TEXT) else ""


async def show(chat: VKChat, turn: Turn, card: Card) -> None:
    await chat.say(turn, card.text, card_keyboard(card))


async def on_press(chat: VKChat, turn: Turn, person: Person) -> None:
    previews: Previews = chat.previews  # type: ignore[assignment]
    corrections: Corrections = chat.corrections  # type: ignore[assignment]
    action = Action(turn.payload["d"])
    post_id, arg = int(turn.payload.get("r") or 0), str(turn.payload.get("a") or "")
    match action:
        case Action.preview:
            cards = await previews.show(post_id, person)
            await chat.answer(turn)
            for card in cards:
                await show(chat, turn, card)
        case Action.accept_fit:
            await show(chat, turn, await previews.accept(post_id, person, arg))
        case Action.common_text:
            await show(chat, turn, await previews.common_text(post_id, person, arg))
        case Action.network_text:
            card = await previews.start_text(post_id, person, arg)
            await chat.states.set(turn.peer_id, NETWORK_TEXT, post_id=post_id, network=arg)
            await chat.say(turn, card.text.replace("/cancel", "«Отмена»"))
        case Action.edit_published:
            card = await corrections.start_edit(post_id, person)
            await chat.states.set(turn.peer_id, PUBLISHED_TEXT, post_id=post_id)
            await chat.say(turn, card.text.replace("/cancel", "«Отмена»"))
        case Action.delete_published:
            await show(chat, turn, await corrections.ask_delete(post_id, person))
        case Action.delete_confirmed:
            card = await corrections.delete(post_id, person)
            await chat.take_buttons_away(turn, card.text)
            await chat.say(turn, card.text)


async def on_message(chat: VKChat, turn: Turn, person: Person, peer: Any) -> None:
    data = dict(peer.payload or {})
    text = turn.text.strip()
    if not text:
        await chat.say(turn, "Пришлите, пожалуйста, текстом. Прервать: «Отмена».")
        return
    if waiting(peer) == NETWORK_TEXT:
        card = await chat.previews.set_text(data["post_id"], person, data["network"], text)  # type: ignore[union-attr]
        await chat.states.delete(turn.peer_id)
        await show(chat, turn, card)
        return
    await chat.states.delete(turn.peer_id)
    card = await chat.corrections.edit(data["post_id"], person, text)  # type: ignore[union-attr]
    await chat.say(turn, card.text)
