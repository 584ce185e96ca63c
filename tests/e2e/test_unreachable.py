"""A person who can't be reached (blocked the bot in Telegram, forbade the community's messages
in VK) is not silently skipped: the editors are told, once a day per person."""

from __future__ import annotations

from sandbox.stage import VK_GROUP_ID, Stage
from tests.e2e.conftest import Chat, report_event
from tests.e2e.test_vk_reporter import VK_REPORTER, join_vk

NOTE = "Не удалось отправить сообщение"


async def reject(editor: Chat, card: dict) -> None:
    editor.press(card, "Отклонить")
    await editor.expect("Напишите причину")
    editor.send("Об этом уже писали")
    await editor.expect("Отклонено")


def notes(chat: Chat) -> list[str]:
    return [m["text"] for m in chat.bot_messages() if NOTE in (m.get("text") or "")]


async def test_editors_hear_once_that_a_telegram_reporter_blocked_the_bot(
    stage: Stage, admin: Chat, editor: Chat, reporter: Chat
) -> None:
    await report_event(reporter, title="Турнир по шахматам", photos=())
    await report_event(reporter, title="Турнир по шашкам", photos=())
    first = await editor.expect("Новое сообщение № 1")
    second = await editor.expect("Новое сообщение № 2")
    stage.tg.user_blocks_bot(reporter.user_id)
    await reject(editor, first)
    note = await editor.expect(NOTE)
    assert note["text"].startswith(
        "Не удалось отправить сообщение: Иван Иванов (Telegram) — бот заблокирован. "
        "Попросите разблокировать бота или свяжитесь иначе."
    )
    assert "Не дошло: «" in note["text"] and "Турнир по шахматам" in note["text"]
    await admin.expect(NOTE)
    await reject(editor, second)  # the second undelivered notice: no second note today
    await stage.tg.wait_until(lambda: len(notes(editor)) == 1)
    assert len(notes(editor)) == 1 and len(notes(admin)) == 1


async def test_editors_hear_that_a_vk_reporter_closed_messages_and_no_loop(
    stage: Stage, admin: Chat, editor: Chat
) -> None:
    person = await join_vk(stage, admin)
    menu = person.bot_messages()[-1]
    person.press(menu, "Сообщить о мероприятии")
    await person.expect("Как оно называется?")
    person.send("День села")
    person.press(await person.expect("Когда оно прошло?"), "Сегодня")
    await person.expect("Где?")
    person.send("Корнилово")
    await person.expect("Коротко опишите")
    person.send("Концерт и ярмарка.")
    person.press(await person.expect("Пришлите фото"), "Без вложений")
    person.press(await person.expect("Проверьте:"), "Отправить")
    await person.expect("передано в пресс-службу")

    stage.vk.deny_messages(VK_REPORTER, VK_GROUP_ID)
    card = await editor.expect("Новое сообщение № 1")
    stage.tg.user_blocks_bot(admin.user_id)  # an editor who can't be told either: no loop
    await reject(editor, card)
    note = await editor.expect(NOTE)
    assert note["text"].startswith(
        "Не удалось отправить сообщение: Ольга Смирнова (ВКонтакте) — сообщения от сообщества "
        "запрещены. Попросите разрешить сообщения от сообщества или свяжитесь иначе."
    )
    assert "не будет опубликовано" in note["text"]
    assert not any("не будет опубликовано" in m["text"] for m in person.bot_messages())
    assert notes(admin) == []
