"""A draft's photos come to a VK-only editor with its card, as Telegram's album does: uploaded
to the dialogue (photos.getMessagesUploadServer → photos.saveMessagesPhoto) and attached to the
card; a decision redraws the card with the same photos and uploads nothing again, also after a
restart (read back with messages.getById); a photo VK does not take, or a card VK refuses with its
photos, leaves the card to go without them, saying so in Russian. vkbottle against the VK
emulator."""

from __future__ import annotations

import json

from sqlmodel import select

from sandbox.stage import VK_GROUP_ID, Stage
from storage.vk_photos import VKMessagePhoto
from tests.e2e.conftest import PHOTO_A, PHOTO_B, Chat, report_event
from tests.e2e.test_polls import add_poll
from tests.e2e.test_vk_editor import VK_EDITOR, join_vk_editor, redrawn
from tests.e2e.test_vk_reporter import VKPerson, keyboard, labels


def photos_of(stage: Stage, message: dict) -> list[bytes]:
    assert {a["type"] for a in message["attachments"]} <= {"photo"}
    return [
        stage.vk.photo_bytes(a["photo"]["owner_id"], a["photo"]["id"])
        for a in message["attachments"]
    ]


async def stored_uploads(stage: Stage) -> int:
    async with stage.app.uow() as uow:
        return len((await uow.session.exec(select(VKMessagePhoto))).all())


def uploads(stage: Stage) -> int:
    return sum(1 for method, _ in stage.vk.requests if method == "photos.saveMessagesPhoto")


async def draft_for_vk_editor(
    stage: Stage, admin: Chat, reporter: Chat, photos: tuple[bytes, ...]
) -> tuple[VKPerson, dict]:
    """A VK-only editor, and the first card of a report with these photos."""
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=photos)
    return vk_editor, await vk_editor.expect("Новое сообщение № 1")


async def test_a_drafts_photos_come_with_its_vk_card_and_every_redraw_keeps_them(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=(PHOTO_A, PHOTO_B))
    card = await vk_editor.expect("Новое сообщение № 1")
    assert photos_of(stage, card) == [PHOTO_A, PHOTO_B]
    assert "не удалось" not in card["text"] and "Одобрить" in labels(card)
    assert uploads(stage) == 2
    vk_editor.press(card, "Одобрить")
    ask = await vk_editor.expect("Когда публикуем?")
    approved = await redrawn(vk_editor, card, "Одобрено")
    assert approved["attachments"] == card["attachments"] and labels(approved) == []
    assert uploads(stage) == 2  # the redraw passed the same photos again
    # A press redraws its own message by conversation message id (VKChat.redraw): no draft
    # card's button does that today, so «Сейчас»'s payload pressed on the photo card stands in.
    now = next(b for b in keyboard(ask) if b["label"] == "Сейчас")["payload"]
    now = json.loads(now) if isinstance(now, str) else now
    vk_editor.presses += 1
    stage.vk.user_presses_button(VK_EDITOR, VK_GROUP_ID, now, card["conversation_message_id"])
    where = await redrawn(vk_editor, card, "Куда публикуем")
    assert where["attachments"] == card["attachments"] and "Готово" in labels(where)
    assert uploads(stage) == 2
    await vk_editor.answered()


async def test_a_photo_vk_refuses_leaves_the_card_without_it_saying_so(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    stage.vk.inject_fault("photos.saveMessagesPhoto", "error", error_code=100)
    await report_event(reporter, photos=(PHOTO_A, PHOTO_B))
    card = await vk_editor.expect("Новое сообщение № 1")
    assert photos_of(stage, card) == [PHOTO_B]
    assert "Фото не удалось приложить: 1 из 2" in card["text"]
    assert "Одобрить" in labels(card)
    # As after a restart: nothing remembered, the redraw reads the card's photos back from VK.
    assert stage.app.vk_notifier is not None
    stage.app.vk_notifier.photos.forget()
    vk_editor.press(card, "Отклонить")
    await vk_editor.expect("Напишите причину отказа")
    vk_editor.send("Фото не подходят")
    rejected = await redrawn(vk_editor, card, "Отклонено")
    assert rejected["attachments"] == card["attachments"]
    assert uploads(stage) == 2  # the one refused and the one attached; nothing since
    # The upload outlived the memory (kept in the database): a new card with that photo reuses it.
    await report_event(reporter, photos=(PHOTO_B,))
    second = await vk_editor.expect("Новое сообщение № 2")
    assert photos_of(stage, second) == [PHOTO_B] and uploads(stage) == 2
    assert await stored_uploads(stage) == 1


async def test_a_card_vk_refuses_with_its_photos_goes_without_them(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    stage.vk.inject_fault("messages.send", "error", error_code=100)  # the card with its photos
    await report_event(reporter, photos=(PHOTO_A, PHOTO_B))
    card = await vk_editor.expect("Новое сообщение № 1")
    assert card["attachments"] == [] and "Одобрить" in labels(card)
    assert "Фото не удалось приложить: 2 из 2" in card["text"]
    assert await stored_uploads(stage) == 0  # uploads VK did not take are uploaded anew next time


async def test_the_card_after_editing_carries_the_drafts_photos(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=(PHOTO_A, PHOTO_B))
    card = await vk_editor.expect("Новое сообщение № 1")
    vk_editor.press(card, "Редактировать")
    await vk_editor.expect("Пришлите новый текст публикации")
    vk_editor.send("Площадку открыли в субботу, пришли сто жителей.")
    edited = await vk_editor.expect("Площадку открыли в субботу")
    assert photos_of(stage, edited) == [PHOTO_A, PHOTO_B] and "Одобрить" in labels(edited)
    assert uploads(stage) == 2  # the card's uploads to this dialogue, used again
    vk_editor.press(edited, "Одобрить")
    await vk_editor.expect("Когда публикуем?")
    approved = await redrawn(vk_editor, edited, "Одобрено")
    assert approved["attachments"] == edited["attachments"] and uploads(stage) == 2
    await vk_editor.answered()


async def test_the_card_after_new_attachments_carries_them(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=(PHOTO_A,))
    vk_editor.press(await vk_editor.expect("Новое сообщение № 1"), "Редактировать")
    vk_editor.press(await vk_editor.expect("Пришлите новый текст"), "Заменить вложения")
    await vk_editor.expect("Пришлите новые фото или видео")
    vk_editor.send(photos=[PHOTO_B])
    vk_editor.press(await vk_editor.expect("Получено вложений: 1"), "Готово")
    card = await vk_editor.expect("1 фото")
    assert photos_of(stage, card) == [PHOTO_B] and "Одобрить" in labels(card)
    await vk_editor.answered()


async def test_the_draft_after_cancelling_comes_with_its_photos(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor, card = await draft_for_vk_editor(stage, admin, reporter, (PHOTO_A, PHOTO_B))
    vk_editor.press(card, "Одобрить")
    ask = await vk_editor.expect("Когда публикуем?")
    vk_editor.press(ask, labels(ask)[1])  # a quick time later today or tomorrow, not «Сейчас»
    where = await redrawn(vk_editor, ask, "Куда публикуем")
    vk_editor.press(where, "Готово")
    vk_editor.press(await redrawn(vk_editor, where, "запланировано на"), "Отменить")
    draft = await vk_editor.expect("отменена. Черновик снова ждёт решения")
    assert photos_of(stage, draft) == [PHOTO_A, PHOTO_B] and "Одобрить" in labels(draft)
    assert uploads(stage) == 2  # the first card's uploads, used again
    vk_editor.press(draft, "Одобрить")  # the card was remembered with its photos
    approved = await redrawn(vk_editor, draft, "Одобрено")
    assert approved["attachments"] == draft["attachments"]
    await vk_editor.answered()


async def test_the_drafts_list_shows_each_drafts_photos_or_says_they_are_left_out(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor, _ = await draft_for_vk_editor(stage, admin, reporter, (PHOTO_A, PHOTO_B))
    await report_event(reporter, photos=(PHOTO_B,))
    await vk_editor.expect("Новое сообщение № 2")
    vk_editor.send("Черновики")
    first, second = [await vk_editor.expect(f"Новое сообщение № {n}") for n in (1, 2)]
    assert photos_of(stage, first) == [PHOTO_A, PHOTO_B] and "Одобрить" in labels(first)
    assert photos_of(stage, second) == [PHOTO_B] and uploads(stage) == 2
    # VK refuses the listed card with its photos: it comes without them, saying so.
    stage.vk.inject_fault("messages.send", "error", error_code=100)
    vk_editor.send("Черновики")
    refused = await vk_editor.expect("Новое сообщение № 1")
    assert refused["attachments"] == [] and "Одобрить" in labels(refused)
    assert "Фото не удалось приложить: 2 из 2" in refused["text"]
    assert photos_of(stage, await vk_editor.expect("Новое сообщение № 2")) == [PHOTO_B]


async def test_the_draft_after_adding_a_poll_comes_with_its_photos(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor, card = await draft_for_vk_editor(stage, admin, reporter, (PHOTO_A,))
    preview = await add_poll(vk_editor, card)  # type: ignore[arg-type]  # pressed and typed alike
    assert photos_of(stage, preview) == [PHOTO_A] and "Одобрить" in labels(preview)
    assert uploads(stage) == 1
    vk_editor.press(preview, "Одобрить")  # remembered, as Telegram's card is: redrawn with them
    approved = await redrawn(vk_editor, preview, "Одобрено")
    assert approved["attachments"] == preview["attachments"]
    await vk_editor.answered()
