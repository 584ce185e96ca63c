"""Strangers, wrong roles, forged and stale buttons, files and texts the networks won't take,
and networks that fail: each gets a clear Russian answer and loses nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain import PostState
from bot.ports import Action
from handlers.telegram.callbacks import DeskCB
from sandbox.stage import ADMIN_ID, Stage
from storage.models import Person, Post
from tests.e2e.conftest import (
    Chat,
    answer_until_attachments,
    approve_now,
    audit_lines,
    buttons,
    channel_posts,
    landed,
    report_event,
    start_report,
    wall,
)


async def approve_into_vk_error(
    stage: Stage, reporter: Chat, editor: Chat, error_code: int
) -> dict:
    """A report approved for now while VK answers wall.post with `error_code` once; returns the
    failure the editor gets."""
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    stage.vk.inject_fault("wall.post", "error", count=1, error_code=error_code)
    editor.press(card, "Одобрить")
    await approve_now(editor)
    return await editor.expect("Не удалось опубликовать")


async def post_state(stage: Stage, post_id: int) -> str:
    async with stage.app.uow() as uow:
        post = await uow.session.get(Post, post_id)
        await uow.session.refresh(post)
        return post.state


async def test_unknown_user_is_refused_and_only_one_audit_line_is_kept(stage: Stage) -> None:
    stage.tg.add_user(5555, "Случайный", "Прохожий")
    stranger = Chat(stage, 5555)
    stranger.send("Здравствуйте, вот мой телефон 8-913-000-00-00")
    refusal = await stranger.expect("доступен только по приглашению")
    assert "администратора" in refusal["text"]
    stranger.send("/start not-a-real-code")
    await stranger.expect("Приглашение недействительно")
    lines = await audit_lines(stage, "access.refused")
    assert [line.actor_ref for line in lines] == ["tg:5555"]
    assert "8-913" not in lines[0].details
    async with stage.app.uow() as uow:
        assert await uow.people.by_telegram(5555) is None


async def test_reporter_pressing_an_editors_button_is_refused(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    await editor.expect("Новое сообщение № 1")
    forged = DeskCB(action=Action.approve, ref=1).pack()
    query = stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, reporter.bot_messages()[-1]["message_id"], forged
    )
    assert "только редакторы" in await reporter.alert(query)
    assert await post_state(stage, 1) == PostState.draft
    assert len(await audit_lines(stage, "access.denied")) == 1


async def test_forged_and_stale_buttons(stage: Stage, editor: Chat) -> None:
    last = editor.bot_messages()[-1]["message_id"]
    garbage = stage.tg.user_presses_button(editor.user_id, editor.user_id, last, "d1:zz:1:")
    assert "устарела" in await editor.alert(garbage)
    gone = stage.tg.user_presses_button(
        editor.user_id, editor.user_id, last, DeskCB(action=Action.approve, ref=999).pack()
    )
    assert "больше нет" in await editor.alert(gone)
    assert len(await audit_lines(stage, "callback.invalid")) == 1


async def test_approve_twice_and_two_editors_at_once(
    stage: Stage, reporter: Chat, editor: Chat, admin: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    admin_card = await admin.expect("Новое сообщение № 1")
    presses = [
        (editor, editor.press(card, "Одобрить")),
        (editor, editor.press(card, "Одобрить")),
        (admin, admin.press(admin_card, "Одобрить")),
    ]
    answers = [await chat.alert(query) for chat, query in presses]
    refusals = [a for a in answers if a.startswith("Уже одобрено")]
    assert len(refusals) == 2, answers
    asks = [
        m
        for chat in (editor, admin)
        for m in chat.bot_messages()
        if "Когда публикуем" in (m.get("text") or "")
    ]
    assert len(asks) == 1
    winner = "Мария Соколова" if asks[0]["chat"]["id"] == editor.user_id else "Анна Петрова"
    assert all(winner in a for a in refusals)
    for chat, shown in ((editor, card), (admin, admin_card)):
        await chat.edited(shown, f"Одобрено: {winner}")
        assert buttons(chat.current(shown)) == []


async def test_unsupported_file_is_refused_and_the_dialog_goes_on(
    stage: Stage, reporter: Chat
) -> None:
    await answer_until_attachments(reporter, "Субботник", "сегодня", "Парк", "Убрали парк.")
    stage.tg.user_sends_sticker(reporter.user_id)
    await reporter.expect("не могу принять")
    stage.tg.user_sends_document(
        reporter.user_id, b"MZ\x90\x00", "setup.exe", "application/x-msdownload"
    )
    refusal = await reporter.expect("не могу принять")
    reporter.press(refusal, "Без вложений")
    summary = await reporter.expect("Проверьте:")
    assert "Субботник" in summary["text"] and "без вложений" in summary["text"]


async def test_unreadable_date_asks_again(stage: Stage, reporter: Chat) -> None:
    await start_report(reporter, "Субботник")
    reporter.send("на днях")
    await reporter.expect("Не понял дату")
    reporter.send("25.11")
    await reporter.expect("Где?")


async def test_text_over_telegrams_limit_goes_only_where_it_fits(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, description="Очень подробный отчёт. " * 176, photos=())
    card = await editor.expect("Новое сообщение № 1")
    assert "Telegram: ✗ текст длиннее 4096" in card["text"]
    assert "ВКонтакте: ✓" in card["text"]
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    # over Telegram's 4096 and MAX's 4000 characters; VK and OK take it
    assert buttons(where) == ["Telegram", "✓ ВКонтакте", "✓ Одноклассники", "MAX", "Готово"]
    refused = editor.press(where, "Telegram")
    assert "длиннее 4096" in await editor.alert(refused)
    editor.press(editor.current(where), "Готово")
    await landed(editor, "ВКонтакте", "Одноклассники")  # one «Опубликовано» per network
    assert len(wall(stage)) == 1 and channel_posts(stage) == []


async def test_network_errors_are_retried_then_reported_with_a_retry_button(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    stage.vk.inject_fault("wall.post", "500", count=1)
    stage.tg.inject_fault("sendMediaGroup", "429", count=1, retry_after=1)
    stage.vk.inject_fault("photos.saveWallPhoto", "error", count=1, error_code=10)
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте")  # each network's link as it lands
    assert len(wall(stage)) == 1
    assert len(channel_posts(stage)) == 2  # one album of two photos


async def test_a_refused_token_reaches_the_editor_and_retry_publishes(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    failure = await approve_into_vk_error(stage, reporter, editor, error_code=5)
    assert "ключ доступа администратора сообщества больше не действует" in failure["text"]
    assert "Telegram: " in failure["text"]  # how the other network stands, on its own line
    assert buttons(failure)[0] == "Повторить"  # for VK only: Telegram is not sent again
    editor.press(failure, "Повторить")
    await editor.edited(failure, "Публикую «")
    await stage.vk.wait_until(lambda: len(wall(stage)) == 1)
    assert len(channel_posts(stage)) == 1


async def test_admin_from_config_registers_by_start(stage: Stage) -> None:
    chat = Chat(stage, ADMIN_ID)
    chat.send("/start")
    await chat.expect("Вы — администратор")
    async with stage.app.uow() as uow:
        person = await uow.people.by_telegram(ADMIN_ID)
        assert isinstance(person, Person) and person.full_name == "Анна Петрова"
    await asyncio.sleep(0)


async def test_an_unexpected_answer_fails_loudly(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    """A network answer the adapter does not understand must not leave the post hanging."""
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    original = stage.vk.dispatcher.invoke

    async def odd_wall_post(method: str, params: dict, token: object, **kw: object) -> object:
        if method == "wall.post":
            return {"unexpected": True}
        return await original(method, params, token, **kw)

    stage.vk.dispatcher.invoke = odd_wall_post
    editor.press(card, "Одобрить")
    await approve_now(editor)
    failure = await editor.expect("Не удалось опубликовать")
    assert "ВКонтакте: ответ ВКонтакте не читается" in failure["text"]
    assert "Повторить" in buttons(failure)


async def test_something_broken_still_gets_an_answer(stage: Stage, editor: Chat) -> None:
    async def broken(actor: object) -> list:
        raise RuntimeError("the database went away")

    stage.app.desk.drafts = broken
    editor.send("/drafts")
    await editor.expect("Не получилось. Попробуйте ещё раз чуть позже")


async def test_admin_closes_access_and_reads_the_audit(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    ask = await answer_until_attachments(reporter, "Субботник", "Сегодня", "Парк", "Убрали.")
    admin.send("/people")
    listing = await admin.expect("Сотрудники")
    assert "Иван Иванов — руководитель подразделения, Отдел спорта (Telegram)" in listing["text"]
    admin.press(listing, "Иван Иванов")
    admin.press(await admin.edited(listing, "Сотрудник: Иван Иванов"), "Закрыть доступ")
    admin.press(await admin.edited(listing, "Закрыть доступ: Иван Иванов?"), "Да, закрыть доступ")
    await admin.edited(listing, "Доступ закрыт: Иван Иванов.")
    reporter.send("/report")
    closed = await reporter.expect("Доступ закрыт.")  # one line, not the strangers' welcome
    assert closed["text"] == "Доступ закрыт."
    assert await reporter.alert(reporter.press(ask, "Без вложений")) == "Доступ закрыт."
    editor.send("/people")
    await editor.expect("только администратор")
    admin.send("/audit")
    log = await admin.expect("Журнал действий")
    assert "Анна Петрова закрыла доступ: Иван Иванов" in log["text"]


async def test_a_network_refusal_reads_as_plain_russian(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    failure = await approve_into_vk_error(stage, reporter, editor, error_code=222)
    assert "ВКонтакте: ВКонтакте отклонил публикацию: VK не принимает ссылки" in failure["text"]


async def test_a_wrong_channel_in_config_is_named(tmp_path: Path) -> None:
    stage = Stage(tmp_path, settings={"telegram": {"channel_id": -1009999999999}})
    await stage.start_emulators()
    await stage.start_app()
    try:
        admin = Chat(stage, ADMIN_ID)
        admin.send("/start")
        await admin.expect("Здравствуйте")
        await report_event(admin, photos=())
        admin.cursor = 0  # the card and the thanks race: the admin is reporter and editor here
        card = await admin.expect("Новое сообщение № 1")
        admin.press(card, "Одобрить")
        await approve_now(admin)
        failure = await admin.expect("Не удалось опубликовать")
        assert "канал не найден — проверьте channel_id" in failure["text"]
    finally:
        await stage.stop()
