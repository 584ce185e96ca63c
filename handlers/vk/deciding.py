"""Editors' decisions in the community's messages, for an editor who works in VK: a draft's
«Одобрить» / «Редактировать» / «Отклонить», the time and the networks, «Перенести» / «Отменить»,
a publication's «Повторить» / «Да, вышло» / «Опубликовать снова», and a comment's «Удалить» /
«Оставить» / «Удалить и заблокировать автора». Each press or typed answer is one call into the
core, the same calls handlers/telegram/review.py, publishing.py and moderation.py make; the
core's refusals and conflicts («Уже одобрено …») are said by messages.handle."""

from __future__ import annotations

from typing import Any

from bot import reporting
from bot.domain import Role
from bot.errors import Denied
from bot.ports import Action, Button, Card, CardRef
from handlers.vk import report
from handlers.vk.chat import SNACKBAR_LIMIT, Turn, VKChat
from handlers.vk.render import card_keyboard
from storage.models import Person

PREFIX = "Decide:"
STEPS = ("text", "reason", "time", "choosing", "media")
TEXT, REASON, TIME, CHOOSING, MEDIA = (f"{PREFIX}{step}" for step in STEPS)
STOP = "Прервать: «Отмена»."
TAP_WHEN = (
    "Выберите время кнопкой под сообщением «Когда публикуем?» или нажмите «Другое время», "
    "чтобы написать своё."
)
TAP_WHERE = "Отметьте сети кнопками под сообщением «Куда публикуем…» и нажмите «Готово»."
ASK_MEDIA = "Пришлите новые фото или видео (до 10) и нажмите «Готово»."
MEDIA_FIRST = "Сначала пришлите фото или видео, потом нажмите «Готово»."
POST_ACTIONS = {
    Action.approve,
    Action.edit,
    Action.reject,
    Action.when,
    Action.toggle_network,
    Action.confirm,
    Action.reschedule,
    Action.schedule,
    Action.cancel_post,
    Action.replace_media,
    Action.keep_media,
    Action.stop,
    Action.open_drafts,
    Action.open_queue,
}
OUTCOME_ACTIONS = {Action.retry, Action.confirm_out, Action.publish_again}
DECISIONS = {
    Action.comment_delete: "delete",
    Action.comment_keep: "keep",
    Action.comment_ban: "ban",
    Action.comment_hide: "hide",
    Action.comment_dismiss: "dismiss",
}
COMMENT_ACTIONS = {*DECISIONS, Action.comment_restore, Action.open_comments}
ACTIONS = POST_ACTIONS | OUTCOME_ACTIONS | COMMENT_ACTIONS
SHOWN_AT_ONCE = 20


def handles(chat: VKChat, payload: dict[str, Any]) -> bool:
    if payload.get("d") in COMMENT_ACTIONS:
        return chat.moderation is not None
    return payload.get("d") in ACTIONS


def waiting(peer: object) -> str:
    """Which editor's answer this dialogue waits for ("" for none)."""
    state = str(getattr(peer, "state", "")) if peer is not None else ""
    return state if state in (TEXT, REASON, TIME, CHOOSING, MEDIA) else ""


def require_editor(person: Person) -> None:
    """Before any answer, as in Telegram: every one of these buttons is an editor's."""
    if not Role(person.role).can_edit():
        raise Denied("Это могут делать только редакторы пресс-службы.")


async def show(chat: VKChat, turn: Turn, card: Card, post_id: int = 0) -> None:
    """A card as a new message; one of a post is remembered, so the core redraws it when the
    post changes and an older copy cannot act on what has changed since. A draft's card (after
    an edit, «Отменить», from «Черновики», after a poll...) carries its photos, as the first did."""
    message_id = await chat.show(turn, card)
    if post_id:
        await chat.desk.remember_card(post_id, CardRef(f"vk:{turn.peer_id}", message_id))


async def replace(chat: VKChat, turn: Turn, card: Card, post_id: int = 0) -> None:
    """The pressed message becomes `card`, as Telegram edits it; one VK will not edit any more
    is sent anew, so what was done is always said."""
    if not await chat.redraw(turn, card.text, card_keyboard(card)):
        await show(chat, turn, card, post_id)


async def choosing(chat: VKChat, turn: Turn, post_id: int, step: str) -> None:
    await chat.states.set(turn.peer_id, CHOOSING, post_id=post_id, step=step)


async def on_press(chat: VKChat, turn: Turn, person: Person) -> None:
    require_editor(person)
    action = Action(turn.payload["d"])
    ref, arg = int(turn.payload.get("r") or 0), str(turn.payload.get("a") or "")
    if action in COMMENT_ACTIONS:
        await on_comment(chat, turn, person, action, ref)
    elif action in OUTCOME_ACTIONS:
        await on_outcome(chat, turn, person, action, ref, arg)
    else:
        await on_post(chat, turn, person, action, ref, arg)


async def on_post(
    chat: VKChat, turn: Turn, person: Person, action: Action, post_id: int, arg: str
) -> None:
    desk = chat.desk
    match action:
        case Action.approve:
            await show(chat, turn, await desk.approve(post_id, person), post_id)
            await choosing(chat, turn, post_id, "when")
        case Action.edit:
            card = await desk.start_edit(post_id, person)
            await chat.states.set(turn.peer_id, TEXT, post_id=post_id)
            await show(chat, turn, card)
        case Action.reject:
            await desk.start_reject(post_id, person)
            await chat.states.set(turn.peer_id, REASON, post_id=post_id)
            await chat.say(turn, f"Напишите причину отказа — её увидит автор сообщения. {STOP}")
        case Action.when if arg == "other":
            await desk.ask_schedule(post_id, person)
            await chat.states.set(turn.peer_id, TIME, post_id=post_id)
            await chat.say(
                turn, f"Напишите дату и время, например: «завтра 10:30» или «25.11 14:00». {STOP}"
            )
        case Action.when:
            card = await desk.set_time(post_id, person, desk.resolve_when(arg))
            await replace(chat, turn, card, post_id)
            await choosing(chat, turn, post_id, "where")
        case Action.toggle_network:
            await replace(chat, turn, await desk.toggle_network(post_id, person, arg), post_id)
        case Action.confirm:
            await replace(chat, turn, await desk.confirm(post_id, person), post_id)
            if waiting(await chat.states.get(turn.peer_id)) == CHOOSING:
                await chat.states.delete(turn.peer_id)
        case Action.reschedule | Action.schedule:
            call = desk.reschedule if action == Action.reschedule else desk.ask_schedule
            await show(chat, turn, await call(post_id, person), post_id)
            await choosing(chat, turn, post_id, "when")
        case Action.cancel_post:
            # The core has redrawn the pressed card; the draft, with its buttons, comes anew.
            await show(chat, turn, await desk.cancel(post_id, person), post_id)
        case Action.replace_media:
            await desk.start_edit(post_id, person)
            await chat.states.set(turn.peer_id, MEDIA, post_id=post_id, media=[])
            await chat.say(turn, ASK_MEDIA, media_done(post_id))
        case Action.keep_media:
            await replace_media(chat, turn, person)
        case Action.stop:
            await chat.states.delete(turn.peer_id)
            await chat.say(turn, "Хорошо, ничего не меняю.")
        case Action.open_drafts | Action.open_queue:
            listed = desk.drafts if action == Action.open_drafts else desk.queue
            await show_list(chat, turn, await listed(person), action == Action.open_drafts)


def media_done(post_id: int) -> str | None:
    done = Button("Готово", Action.keep_media, post_id, "done")
    return card_keyboard(Card("", ((done, Button("Отмена", Action.stop, post_id)),)))


async def got_media(chat: VKChat, turn: Turn, data: dict[str, Any]) -> None:
    """New files for a draft, fetched and kept as a report's are (handlers/vk/report.py)."""
    media, problems = await report.fetch_media(chat, turn.attachments, data.get("media", []))
    await chat.states.set(turn.peer_id, MEDIA, **{**data, "media": media})
    for problem in problems:
        await chat.say(turn, problem)
    if media:
        await chat.say(turn, reporting.received(len(media)), media_done(data["post_id"]))


async def replace_media(chat: VKChat, turn: Turn, person: Person) -> None:
    """«Готово» after the new files: they replace the draft's (Desk.replace_media)."""
    peer = await chat.states.get(turn.peer_id)
    data = dict(peer.payload or {}) if peer is not None else {}
    if waiting(peer) != MEDIA or not data.get("media"):
        await chat.say(turn, MEDIA_FIRST)
        return
    card = await chat.desk.replace_media(data["post_id"], person, report.new_media(data["media"]))
    await chat.states.delete(turn.peer_id)
    await show(chat, turn, card, data["post_id"])


async def show_list(chat: VKChat, turn: Turn, cards: list[Card], drafts: bool) -> None:
    """The digest's «Открыть», «Черновики» and «График публикаций»: as /drafts and /queue
    show them in Telegram."""
    if not cards:
        empty = "Черновиков, ждущих решения, нет." if drafts else "В графике публикаций пусто."
        await chat.say(turn, empty)
        return
    if len(cards) > SHOWN_AT_ONCE:
        await chat.say(turn, f"Всего {len(cards)}, показываю первые {SHOWN_AT_ONCE}.")
    for card in cards[:SHOWN_AT_ONCE]:
        await show(chat, turn, card, next((b.ref for row in card.buttons for b in row), 0))


async def on_outcome(
    chat: VKChat, turn: Turn, person: Person, action: Action, post_id: int, network: str
) -> None:
    outbox = chat.desk.outbox
    match action:
        case Action.retry:
            card = await outbox.retry(post_id, person, network)
        case Action.confirm_out:
            card = await outbox.confirm_out(post_id, person, network)
        case _:
            card = await outbox.publish_again(post_id, person, network)
    # The card had the buttons: its new text says what was done, so they cannot act twice.
    await replace(chat, turn, card)


async def show_comments(chat: VKChat, turn: Turn, person: Person) -> None:
    """The digest's «Открыть» and «Комментарии» (/comments): as Telegram's /comments."""
    moderation = chat.moderation
    assert moderation is not None
    waiting_cards = await moderation.waiting(person)
    if not waiting_cards:
        await chat.say(turn, "Комментариев, ждущих решения, нет.")
    elif len(waiting_cards) > SHOWN_AT_ONCE:
        await chat.say(turn, f"Всего {len(waiting_cards)}, показываю первые {SHOWN_AT_ONCE}.")
    for shown_id, card in waiting_cards[:SHOWN_AT_ONCE]:
        message_id = await chat.say(turn, card.text, card_keyboard(card))
        await moderation.remember_card(shown_id, CardRef(f"vk:{turn.peer_id}", message_id))


async def on_comment(
    chat: VKChat, turn: Turn, person: Person, action: Action, comment_id: int
) -> None:
    moderation = chat.moderation
    assert moderation is not None
    if action == Action.open_comments:
        await show_comments(chat, turn, person)
        return
    if action == Action.comment_restore:
        said = await moderation.restore(comment_id, person)
    else:
        said = await moderation.decide(comment_id, person, DECISIONS[action])
    # Every copy of the card now says who decided (the core redraws them); this is the note.
    if len(said) <= SNACKBAR_LIMIT:
        await chat.answer(turn, said)
    else:
        await chat.say(turn, said)


async def on_message(chat: VKChat, turn: Turn, person: Person, peer: Any) -> None:
    """The answer typed after «Редактировать», «Отклонить», «Другое время» or «Заменить
    вложения» (the files)."""
    state, data = waiting(peer), dict(peer.payload or {})
    post_id = int(data.get("post_id") or 0)
    desk, text = chat.desk, turn.text.strip()
    if state == CHOOSING:
        await chat.say(turn, TAP_WHERE if data.get("step") == "where" else TAP_WHEN)
        return
    if state == MEDIA:
        if turn.attachments:
            await got_media(chat, turn, data)
        elif text.lower() == "готово":
            await replace_media(chat, turn, person)
        else:
            await chat.say(turn, f"{ASK_MEDIA} {STOP}")
        return
    if not text:
        await chat.say(turn, f"Пришлите, пожалуйста, текстом. {STOP}")
        return
    if state == TEXT:
        card = await desk.edit_text(post_id, person, text)
        await chat.states.delete(turn.peer_id)
        await show(chat, turn, card, post_id)
    elif state == REASON:
        await chat.states.delete(turn.peer_id)
        await desk.reject(post_id, person, text)  # the draft's cards now say so
        await chat.say(turn, "Отклонено. Автор получил причину.")
    else:  # TIME: the core's parser; a refused time is said and the question stays
        card = await desk.set_time(post_id, person, desk.parse_time(text))
        await show(chat, turn, card, post_id)
        await choosing(chat, turn, post_id, "where")
