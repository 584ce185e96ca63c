"""An editor whose only account is VK decides in the community's messages (vkbottle against the
VK emulator): approve, the time and the networks, publish; reject with a reason; reschedule and
cancel; a comment on review deleted. The same core calls and words as in Telegram."""

from __future__ import annotations

import asyncio
import json

from sandbox.stage import VK_GROUP_ID, Stage
from storage.models import Comment, Publication
from tests.e2e.conftest import (
    PHOTO_A,
    TIMEOUT,
    Chat,
    approve_now,
    channel_posts,
    invite,
    landed,
    local_time_in,
    report_event,
    wall,
)
from tests.e2e.test_moderation import RUDE, VK_CITIZEN, rows, vk_post
from tests.e2e.test_vk_reporter import VKPerson, labels

VK_EDITOR = 700088


async def join_vk_editor(stage: Stage, admin: Chat) -> VKPerson:
    stage.vk.add_user(VK_EDITOR, "Ольга", "Белова")
    code = await invite(admin, "Редактор", "Пресс-служба")
    person = VKPerson(stage, VK_EDITOR)
    person.send(f"Начать {code}")
    welcome = await person.expect("Добро пожаловать")
    assert "приходят сюда с кнопками" in welcome["text"]
    async with stage.app.uow() as uow:
        assert (await uow.people.by_vk(VK_EDITOR)).telegram_id is None
    return person


async def redrawn(person: VKPerson, message: dict, fragment: str) -> dict:
    """The message after the bot edited it to say `fragment`."""
    try:
        await person.vk.wait_until(
            lambda: fragment in person.current(message)["text"], timeout=TIMEOUT
        )
    except TimeoutError:
        raise AssertionError(f"never said {fragment!r}: {person.current(message)}") from None
    return person.current(message)


async def test_a_vk_editor_approves_schedules_and_it_is_published(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=())
    card = await vk_editor.expect("Новое сообщение № 1")
    assert {"Одобрить", "Редактировать", "Отклонить"} <= set(labels(card))

    vk_editor.press(card, "Редактировать")
    prompt = await vk_editor.expect("Пришлите новый текст публикации")
    assert labels(prompt) == ["Заменить вложения", "Отмена"]
    vk_editor.send("Площадку открыли в субботу, пришли сто жителей.")
    edited = await vk_editor.expect("Площадку открыли в субботу")
    assert "Одобрить" in labels(edited)

    vk_editor.press(edited, "Одобрить")
    ask = await vk_editor.expect("Когда публикуем?")
    assert labels(ask)[0] == "Сейчас" and labels(ask)[-1] == "Другое время"
    assert "Одобрено: " in (await redrawn(vk_editor, card, "Одобрено"))["text"]
    assert labels(vk_editor.current(card)) == []  # the draft card can't act twice
    vk_editor.send("когда-нибудь")  # text where a button is expected: which button
    await vk_editor.expect("Выберите время кнопкой")
    vk_editor.press(ask, "Другое время")
    await vk_editor.expect("Напишите дату и время")
    vk_editor.send("послепослезавтра")  # the core's parser refuses it, the question stays
    await vk_editor.expect("Не понял время")
    vk_editor.send(local_time_in(stage, 4))
    where = await vk_editor.expect("Куда публикуем")
    assert "✓ ВКонтакте" in labels(where) and "✓ Telegram" in labels(where)
    vk_editor.press(where, "✓ Telegram")
    where = await redrawn(vk_editor, where, "Куда публикуем")
    await vk_editor.vk.wait_until(lambda: "Telegram" in labels(vk_editor.current(where)))
    vk_editor.press(where, "Готово")
    done = await redrawn(vk_editor, where, "запланировано на")
    assert "ВКонтакте" in done["text"] and "Telegram" not in done["text"]
    assert labels(done) == ["Перенести", "Отменить"]

    links = await landed(vk_editor, "ВКонтакте", within=45)
    assert f"https://vk.com/wall-{VK_GROUP_ID}_" in links
    await reporter.expect("Опубликовано", within=45)
    [post] = wall(stage)
    assert post["text"].startswith("Площадку открыли в субботу, пришли сто жителей.")
    assert "telegram" not in {p.network for p in await rows(stage, Publication)}
    assert channel_posts(stage) == []
    await vk_editor.answered()  # every press was answered: no spinner left


async def test_a_vk_editor_rejects_and_a_second_editor_hears_the_conflict(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, title="Субботник", photos=())
    card = await vk_editor.expect("Новое сообщение № 1")
    telegram_card = await editor.expect("Новое сообщение № 1")
    vk_editor.press(card, "Отклонить")
    await vk_editor.expect("Напишите причину отказа")
    vk_editor.send("Отмена")  # changed their mind: the draft still waits
    await vk_editor.expect("Отменено. Ничего не сохранено.")
    vk_editor.press(card, "Отклонить")
    await vk_editor.expect("Напишите причину отказа")
    vk_editor.send("Об этом уже писали")
    await vk_editor.expect("Отклонено. Автор получил причину.")
    notice = await reporter.expect("не будет опубликовано")
    assert "Причина: Об этом уже писали" in notice["text"] and "Ольга Белова" in notice["text"]
    await editor.edited(telegram_card, "Отклонено")  # every copy of the card says so

    vk_editor.press(card, "Одобрить", as_seen=True)  # a phone not yet redrawn: a stale press
    conflict = await vk_editor.expect("Уже отклонено")
    assert "Белова" in conflict["text"]

    # The other way round: Telegram approves first, the VK editor presses a moment later.
    await report_event(reporter, title="Ярмарка", photos=())
    card = await vk_editor.expect("Новое сообщение № 2")
    telegram_card = await editor.expect("Новое сообщение № 2")
    editor.press(telegram_card, "Одобрить")
    await approve_now(editor)
    await redrawn(vk_editor, card, "Одобрено: ")  # the VK copy of the card says so too
    vk_editor.press(card, "Одобрить", as_seen=True)
    conflict = await vk_editor.expect("Уже ")
    assert "Соколова" in conflict["text"]
    await vk_editor.answered()


async def test_a_vk_editor_reschedules_and_cancels(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=())
    vk_editor.press(await vk_editor.expect("Новое сообщение № 1"), "Одобрить")
    vk_editor.press(await vk_editor.expect("Когда публикуем?"), "Другое время")
    await vk_editor.expect("Напишите дату и время")
    vk_editor.send(local_time_in(stage, 3600))
    where = await vk_editor.expect("Куда публикуем")
    vk_editor.press(where, "Готово")
    scheduled = await redrawn(vk_editor, where, "запланировано на")

    vk_editor.press(scheduled, "Перенести")
    again = await vk_editor.expect("Когда публикуем?")
    await redrawn(vk_editor, scheduled, "Время публикации выбирается заново")
    vk_editor.press(again, "Другое время")
    await vk_editor.expect("Напишите дату и время")
    vk_editor.send(local_time_in(stage, 7200))
    where = await vk_editor.expect("Куда публикуем")
    vk_editor.press(where, "Готово")
    scheduled = await redrawn(vk_editor, where, "запланировано на")

    vk_editor.press(scheduled, "Отменить")
    draft = await vk_editor.expect("отменена. Черновик снова ждёт решения")
    assert "Одобрить" in labels(draft)
    await reporter.expect("отмен")  # the author hears
    assert wall(stage) == [] and channel_posts(stage) == []
    await vk_editor.answered()


async def test_a_vk_editor_deletes_a_flagged_comment(stage: Stage, admin: Chat) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    await asyncio.wait_for(asyncio.shield(stage.app._catch_up), TIMEOUT)
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await vk_editor.expect("Комментарий на проверке")
    assert labels(card) == ["Удалить", "Оставить", "Удалить и заблокировать автора"]
    vk_editor.press(card, "Удалить")
    await stage.vk.wait_until(
        lambda: stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"],
        timeout=TIMEOUT,
    )
    decided = await redrawn(vk_editor, card, "Удалён: ")
    assert labels(decided) == []
    answers = await vk_editor.answered()
    assert json.loads(answers[-1]["event_data"])["text"].startswith("Готово")
    [stored] = await rows(stage, Comment)
    assert stored.state == "deleted" and stored.decision == "delete"


async def now_for_only(vk_editor: VKPerson, network: str) -> dict:
    """«Одобрить» on draft № 1, «Сейчас», every network but `network` unticked; returns the
    «Куда публикуем» message, «Готово» not yet pressed."""
    vk_editor.press(await vk_editor.expect("Новое сообщение № 1"), "Одобрить")
    ask = await vk_editor.expect("Когда публикуем?")
    vk_editor.press(ask, "Сейчас")
    where = await redrawn(vk_editor, ask, "Куда публикуем")
    while others := [
        b for b in labels(vk_editor.current(where)) if b.startswith("✓ ") and network not in b
    ]:
        vk_editor.press(where, others[0])  # untick one, wait for the redraw, the next
        await vk_editor.vk.wait_until(lambda o=others[0]: o not in labels(vk_editor.current(where)))
    return where


async def test_a_vk_editor_retries_a_failed_publication(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=())
    where = await now_for_only(vk_editor, "ВКонтакте")
    stage.vk.inject_fault("wall.post", "error", count=1, error_code=5)
    vk_editor.press(where, "Готово")
    failure = await vk_editor.expect("Не удалось опубликовать", within=45)
    assert "ключ доступа администратора сообщества больше не действует" in failure["text"]
    assert labels(failure)[0] == "Повторить"
    vk_editor.press(failure, "Повторить")
    retried = await redrawn(vk_editor, failure, "Публикую «")
    assert labels(retried) == []  # it can't act twice
    await landed(vk_editor, "ВКонтакте", within=45)
    assert len(wall(stage)) == 1 and channel_posts(stage) == []
    await vk_editor.answered()


async def test_a_vk_editor_replaces_the_attachments(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=())
    vk_editor.press(await vk_editor.expect("Новое сообщение № 1"), "Редактировать")
    vk_editor.press(await vk_editor.expect("Пришлите новый текст"), "Заменить вложения")
    ask = await vk_editor.expect("Пришлите новые фото или видео")
    vk_editor.press(ask, "Готово")  # nothing sent yet
    await vk_editor.expect("Сначала пришлите фото или видео")
    vk_editor.send(photos=[PHOTO_A])
    status = await vk_editor.expect("Получено вложений: 1")
    vk_editor.press(status, "Готово")
    card = await vk_editor.expect("1 фото")
    assert "Одобрить" in labels(card)
    view = await stage.app.desk.view(1)
    assert len(view.media) == 1 and view.media[0].path.read_bytes() == PHOTO_A
    await vk_editor.answered()


async def test_a_vk_editor_answers_maybe_published(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter)  # two photos: the channel gets them with sendMediaGroup
    where = await now_for_only(vk_editor, "Telegram")
    stage.tg.inject_fault("sendMediaGroup", "lost_response")
    vk_editor.press(where, "Готово")
    ask = await vk_editor.expect("Возможно, опубликовано", within=45)
    assert labels(ask) == ["Да, вышло", "Опубликовать снова"]
    vk_editor.press(ask, "Да, вышло")
    marked = await redrawn(vk_editor, ask, "Отмечено")
    assert labels(marked) == []
    await reporter.expect("Опубликовано")
    assert len(channel_posts(stage)) == 2  # the album went out once, not again
    await vk_editor.answered()


async def test_a_card_vk_will_not_edit_comes_as_a_new_message(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    vk_editor = await join_vk_editor(stage, admin)
    await report_event(reporter, photos=())
    vk_editor.press(await vk_editor.expect("Новое сообщение № 1"), "Одобрить")
    ask = await vk_editor.expect("Когда публикуем?")
    stage.vk.inject_fault("messages.edit", "error", count=1, error_code=909)  # «too old»
    vk_editor.press(ask, "Сейчас")
    where = await vk_editor.expect("Куда публикуем")  # not an edit: a message of its own
    assert "Готово" in labels(where) and "Куда" not in vk_editor.current(ask)["text"]
    vk_editor.press(where, "Готово")
    await redrawn(vk_editor, where, "запланировано на")
    await vk_editor.answered()
