"""Polls end to end (issue 11): an editor adds a poll to a draft from its card, approves, and
each network that takes a poll holds exactly one with its options (Telegram sendPoll in the
channel, VK polls.create attached to the wall post, OK's poll in the topic); MAX, which has no
polls, is refused in the check with the reason and the others still get the post. After the
end the results from every network reach the editors in one message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from sandbox.stage import CHANNEL_ID, MAX_CHANNEL_ID, OK_GROUP_ID, VK_GROUP_ID, Stage
from storage.formats import PostPoll
from tests.e2e.conftest import (
    Chat,
    audit_lines,
    buttons,
    channel_posts,
    invite,
    landed,
    local_time_in,
    report_event,
    wall,
)
from tests.e2e.test_vk_reporter import VKPerson

QUESTION = "Где поставить новую детскую площадку?"
OPTIONS = ["У школы", "В парке", "У дома культуры"]
VK_EDITOR = 700078


async def add_poll(editor: Chat, card: dict, multiple: bool = True, ends: str = "") -> dict:
    editor.press(card, "+ Опрос")
    await editor.expect("Напишите вопрос")
    editor.send(QUESTION)
    await editor.expect("варианты ответа")
    editor.send("\n".join(OPTIONS))
    kind = await editor.expect("Сколько ответов можно выбрать?")
    editor.press(kind, "Несколько" if multiple else "Один")
    await editor.expect("Когда подвести итоги?")
    editor.send(ends or "завтра 23:59")
    return await editor.expect("Опрос добавлен.")


async def end_poll_now(stage: Stage) -> None:
    """The poll's time comes (instead of waiting an hour): its end moves to now."""
    async with stage.app.uow() as uow:
        moment = stage.app.clock() - timedelta(seconds=1)
        await uow.session.exec(update(PostPoll).values(ends_at=moment))
        await uow.commit()


async def test_a_poll_goes_out_once_per_network_and_its_results_come_in_one_message(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    assert "+ Опрос" in buttons(card)

    # a refused answer is said and the question stays (nothing typed before is lost)
    editor.press(card, "+ Опрос")
    await editor.expect("Напишите вопрос")
    editor.send(QUESTION)
    await editor.expect("варианты ответа")
    editor.send("Только один вариант")
    await editor.expect("Нужно от 2 до 10 вариантов")
    editor.send("\n".join(OPTIONS))
    kind = await editor.expect("Сколько ответов можно выбрать?")
    editor.press(kind, "Несколько")
    await editor.expect("Когда подвести итоги?")
    editor.send("вчера 10:00")
    await editor.expect("прошло")
    editor.send("завтра 23:59")
    preview = await editor.expect("Опрос добавлен.")
    assert f"Опрос: «{QUESTION}» (несколько ответов" in preview["text"]
    assert "MAX: ✗ опросы не поддерживаются" in preview["text"]  # said before approval
    assert "Telegram: ✓" in preview["text"] and "ВКонтакте: ✓" in preview["text"]

    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert "MAX: опросы не поддерживаются" in where["text"]
    assert "MAX" in buttons(where) and "✓ MAX" not in buttons(where)
    editor.press(where, "Готово")
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники")

    # Telegram: the post, then exactly one anonymous poll with the options
    [poll_message] = stage.tg.polls(CHANNEL_ID)
    poll = poll_message["poll"]
    assert poll["question"] == QUESTION
    assert [o["text"] for o in poll["options"]] == OPTIONS
    assert poll["allows_multiple_answers"] and poll["is_anonymous"]
    assert len([m for m in channel_posts(stage) if "poll" not in m]) == 2  # the album
    # VK: one poll, attached to the one wall post
    [vk_poll] = stage.vk.polls(-VK_GROUP_ID)
    assert vk_poll["question"] == QUESTION and vk_poll["multiple"]
    assert [a["text"] for a in vk_poll["answers"]] == OPTIONS
    [post] = wall(stage)
    attached = [a["poll"]["id"] for a in post["attachments"] if a["type"] == "poll"]
    assert attached == [vk_poll["id"]]
    # OK: the poll inside the one topic
    [topic] = stage.ok.topics(OK_GROUP_ID)
    assert topic["poll"]["question"] == QUESTION
    assert [a["text"] for a in topic["poll"]["answers"]] == OPTIONS
    assert "MultipleChoice" in topic["poll"]["options"]
    assert stage.max.posts(MAX_CHANNEL_ID) == []  # MAX was not ticked

    # people vote; the poll ends; one message with every network's results
    stage.tg.vote(CHANNEL_ID, poll_message["message_id"], [5, 2, 0])
    stage.vk.vote(-VK_GROUP_ID, vk_poll["id"], [3, 4, 1])
    stage.ok.vote(topic["id"], [1, 0, 2])
    await end_poll_now(stage)
    results = await editor.expect("Итоги опроса")
    text = results["text"]
    assert "Telegram: У школы — 5; В парке — 2; У дома культуры — 0" in text
    assert "ВКонтакте: У школы — 3; В парке — 4; У дома культуры — 1" in text
    assert "Одноклассники: У школы — 1; В парке — 0; У дома культуры — 2" in text
    assert "Всего: У школы — 9; В парке — 6; У дома культуры — 3" in text
    assert "MAX" not in text
    assert stage.tg.polls(CHANNEL_ID)[0]["poll"]["is_closed"]  # stopPoll closed it

    # exactly once: later sweeps tell nothing more
    await stage.app.polls.sweep()
    assert [m for m in editor.bot_messages() if "Итоги опроса" in (m.get("text") or "")] == [
        results
    ]
    assert len(await audit_lines(stage, "poll.results")) == 1
    assert len(await audit_lines(stage, "post.poll")) == 1


async def test_a_poll_too_long_for_telegram_is_refused_there_and_goes_elsewhere(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "+ Опрос")
    await editor.expect("Напишите вопрос")
    editor.send(QUESTION)
    await editor.expect("варианты ответа")
    # 100 characters as people count them, but each emoji is two UTF-16 units for Telegram
    long_option = "🙂" * 60
    editor.send(f"{long_option}\nНет")
    kind = await editor.expect("Сколько ответов")
    editor.press(kind, "Один")
    await editor.expect("Когда подвести итоги?")
    editor.send("завтра 12:00")
    preview = await editor.expect("Опрос добавлен.")
    assert "Telegram: ✗ вариант ответа длиннее 100 знаков" in preview["text"]
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert "✓ Telegram" not in buttons(where) and "✓ ВКонтакте" in buttons(where)
    editor.press(where, "Готово")
    await landed(editor, "ВКонтакте", "Одноклассники")
    assert channel_posts(stage) == []
    [vk_poll] = stage.vk.polls(-VK_GROUP_ID)
    assert not vk_poll["multiple"] and vk_poll["answers"][0]["text"] == long_option
    assert len(wall(stage)) == 1


async def test_a_poll_that_ends_before_its_post_goes_out_is_refused_at_the_schedule(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    preview = await add_poll(editor, card, ends=local_time_in(stage, 1800))
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    editor.send(local_time_in(stage, 3600))
    where = await editor.expect("Куда публикуем")
    query = editor.press(where, "Готово")
    assert "раньше, чем выйдет публикация" in await editor.alert(query)
    assert "запланировано" not in editor.current(where)["text"]
    async with stage.app.uow() as uow:
        post = await uow.posts.get(1)
        states = {p.state for p in await uow.publications.for_post(1)}
    assert post.state == "approved" and states == {"pending"}  # nothing entered the outbox


async def test_an_editor_in_vk_messages_adds_a_poll(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    stage.vk.add_user(VK_EDITOR, "Ольга", "Белова")
    code = await invite(admin, "Редактор", "Пресс-служба")
    vk_editor = VKPerson(stage, VK_EDITOR)
    vk_editor.send(f"Начать {code}")
    await vk_editor.expect("Добро пожаловать")

    await report_event(reporter, photos=())
    card = await vk_editor.expect("Новое сообщение № 1")
    vk_editor.press(card, "+ Опрос")
    await vk_editor.expect("Напишите вопрос")
    vk_editor.send(QUESTION)
    await vk_editor.expect("варианты ответа")
    vk_editor.send("Да")
    await vk_editor.expect("Нужно от 2 до 10 вариантов")  # the question stays
    vk_editor.send("\n".join(OPTIONS))
    kind = await vk_editor.expect("Сколько ответов можно выбрать?")
    vk_editor.press(kind, "Один")
    await vk_editor.expect("Когда подвести итоги?")
    vk_editor.send("завтра 23:59")
    preview = await vk_editor.expect("Опрос добавлен.")
    assert f"Опрос: «{QUESTION}» (один ответ" in preview["text"]
    assert "MAX: ✗ опросы не поддерживаются" in preview["text"]

    telegram_card = await editor.expect("Новое сообщение № 1")
    editor.press(telegram_card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники")
    [vk_poll] = stage.vk.polls(-VK_GROUP_ID)
    assert not vk_poll["multiple"] and [a["text"] for a in vk_poll["answers"]] == OPTIONS
    assert len(stage.tg.polls(CHANNEL_ID)) == 1
