"""A card no chat takes is kept and delivered later; editors are reached through VK where
they have it; what is waiting shows in /queue. Nothing the desk says is only logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox.stage import ADMIN_ID, BOT_TOKEN, VK_GROUP_ID, Stage
from storage.delivery import UndeliveredNotice
from tests.e2e.conftest import TIMEOUT, Chat, join, wait_for
from tests.e2e.test_vk_editor import join_vk_editor
from tests.e2e.test_vk_reporter import VKPerson, join_vk, start_report

EDITOR_VK = 700777


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings={"delivery": {"redeliver_every_seconds": 0.3}})
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def editor_with_vk(stage: Stage, admin: Chat) -> Chat:
    """An editor who also writes to the community in VK (the same person in both chats)."""
    editor = await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")
    stage.vk.add_user(EDITOR_VK, "Мария", "Соколова")
    stage.vk.allow_messages(EDITOR_VK, VK_GROUP_ID)
    async with stage.app.uow() as uow:
        person = await uow.people.by_telegram(3001)
        person.vk_id = EDITOR_VK
        await uow.commit()
    return editor


async def vk_report(person: VKPerson, title: str) -> None:
    await start_report(person)
    person.send(title)
    ask = await person.expect("Когда оно прошло?")
    person.press(ask, "Вчера")
    await person.expect("Где?")
    person.send("ул. Ленина, 1")
    await person.expect("Коротко опишите")
    person.send("Концерт и ярмарка.")
    media = await person.expect("Пришлите фото")
    person.press(media, "Без вложений")
    summary = await person.expect("Проверьте:")
    person.press(summary, "Отправить")
    await person.expect("передано в пресс-службу")


async def arrived(person: VKPerson, *fragments: str) -> list[dict]:
    """One message for each fragment, in whatever order they came: a card and the note about
    another person's copy of it go out side by side (handlers/notify.py sends notes apart)."""

    def found() -> list[dict] | None:
        messages = person.bot_messages()[person.cursor :]
        each = [next((m for m in messages if f in m["text"]), None) for f in fragments]
        return None if None in each else each

    try:
        each = await person.vk.wait_until(found, timeout=TIMEOUT)
    except TimeoutError:
        texts = [m["text"] for m in person.bot_messages()[person.cursor :]]
        raise AssertionError(f"not all of {fragments!r}; new ones: {texts}") from None
    person.cursor = max(i for i, m in enumerate(person.bot_messages()) if m in each) + 1
    return each


async def _none_pending(stage: Stage) -> bool:
    return await pending(stage) == []


async def pending(stage: Stage) -> list[UndeliveredNotice]:
    async with stage.app.uow() as uow:
        query = select(UndeliveredNotice).where(UndeliveredNotice.delivered_at.is_(None))
        return list((await uow.session.exec(query)).all())


async def test_telegram_refusing_an_editor_reaches_them_in_vk_and_keeps_the_rest(
    stage: Stage, admin: Chat
) -> None:
    await editor_with_vk(stage, admin)
    reporter = await join_vk(stage, admin)
    # Telegram refuses every message to the editors from now on (500), until it recovers
    stage.tg.inject_fault("sendMessage", "500", count=10_000)
    await vk_report(reporter, "День села в Корнилово")

    in_vk = VKPerson(stage, EDITOR_VK)
    # the admin has only Telegram: the card is kept, and the editor hears of it in VK
    card, note = await arrived(
        in_vk, "День села в Корнилово", "Не удалось доставить сообщение для Анна Петрова"
    )
    assert card["text"].startswith("Новое сообщение № 1")
    assert "сохранено" in note["text"]
    assert len(await pending(stage)) == 1

    stage.tg.faults.clear()  # Telegram answers again
    await admin.expect("Новое сообщение № 1")
    await wait_for(stage, lambda: _none_pending(stage))


async def test_a_revoked_token_reaches_editors_through_vk_and_queue_shows_the_backlog(
    stage: Stage, admin: Chat
) -> None:
    editor = await editor_with_vk(stage, admin)
    reporter = await join_vk(stage, admin)
    bot = next(iter(stage.tg.bots.values()))
    bot.token = "revoked"  # every call now answers 401 Unauthorized
    await vk_report(reporter, "Праздник двора")

    in_vk = VKPerson(stage, EDITOR_VK)
    card, _ = await arrived(in_vk, "Праздник двора", "Telegram не принимает ключ бота")
    assert card["text"].startswith("Новое сообщение № 1")
    health = stage.app.health.state("chat:tg")
    assert health is not None and not health.ok

    bot.token = BOT_TOKEN  # the token works again (in real life: a new one and a restart)
    await admin.expect("Новое сообщение № 1", within=TIMEOUT)
    editor.send("/queue")
    await editor.expect("В графике публикаций пока пусто")
    assert stage.app.health.state("chat:tg").ok


async def test_queue_names_what_waits_for_delivery(stage: Stage, admin: Chat) -> None:
    editor = await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")
    reporter = await join_vk(stage, admin)
    stage.tg.inject_fault("sendMessage", "500", count=10_000, chat_id=ADMIN_ID)
    await vk_report(reporter, "День села")
    await editor.expect("Новое сообщение № 1")
    await editor.expect("Не удалось доставить сообщение для Анна Петрова")
    editor.send("/queue")
    status = await editor.expect("Ждут доставки")
    assert "Анна Петрова" in status["text"] and "Telegram" in status["text"]
    stage.tg.faults.clear()
    await admin.expect("Новое сообщение № 1")


async def test_a_vk_editors_queue_names_what_waits_for_delivery(stage: Stage, admin: Chat) -> None:
    """An editor whose only account is VK types /queue: the backlog first (handlers/vk/lists)."""
    vk_editor = await join_vk_editor(stage, admin)
    reporter = await join_vk(stage, admin)
    stage.tg.inject_fault("sendMessage", "500", count=10_000, chat_id=ADMIN_ID)
    await vk_report(reporter, "День села")
    await vk_editor.expect("Новое сообщение № 1")

    async def kept() -> bool:
        return "Анна Петрова" in await stage.app.notifier.backlog_text()

    await wait_for(stage, kept, TIMEOUT)
    vk_editor.send("/queue")
    status = await vk_editor.expect("Ждут доставки")
    assert "Анна Петрова" in status["text"] and "Telegram" in status["text"]
    await vk_editor.expect("В графике публикаций пусто")
    stage.tg.faults.clear()
    await admin.expect("Новое сообщение № 1")
