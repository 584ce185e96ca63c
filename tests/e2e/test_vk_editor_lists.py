"""An editor whose only account is VK opens the lists from the menu or by text («Черновики»,
/queue, «Комментарии», «Обращения», «График публикаций») and answers a citizen in the
community's messages:
the ticket card comes to the VK dialog although the editors' Telegram group exists; «Ответить» →
the typed reply → «Изменить» → «Отправить» sends exactly one reply; «Шаблон» picks a template;
«Передать в отдел» and «Без ответа»; «Ссылка на график» (/feed) gives the plan's secret link,
whose ICS opens over HTTP until «Отозвать ссылку». The same core calls as Telegram's
(handlers/vk/lists.py, tickets.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import icalendar
import pytest

from sandbox.stage import VK_GROUP_ID, Stage
from tests.e2e.conftest import Chat, audit_lines, report_event
from tests.e2e.test_plan import new_feed_links
from tests.e2e.test_replies import CITIZEN, QUESTION, SETTINGS, tickets
from tests.e2e.test_vk_editor import join_vk_editor, redrawn
from tests.e2e.test_vk_reporter import VKPerson, join_vk, labels

EDITOR_MENU = [
    "Черновики",
    "Очередь",
    "Комментарии",
    "Обращения",
    "График публикаций",
    "Ссылка на график",
]


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    """With the editors' Telegram group (SETTINGS): a VK-only editor is not in it."""
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=SETTINGS)
    await stage.start_emulators()
    stage.vk.add_user(CITIZEN, "Сергей", "Кузнецов")
    stage.vk.allow_messages(CITIZEN, VK_GROUP_ID)
    await stage.start_app()
    yield stage
    await stage.stop()


async def menu_of(person: VKPerson) -> dict:
    """The help, with the menu keyboard under the input field."""
    person.send("помощь")
    return await person.expect("Что можно сделать здесь")


async def test_the_lists_from_the_vk_menu_and_a_draft_approved_from_drafts(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    editor = await join_vk_editor(stage, admin)
    menu = await menu_of(editor)
    assert labels(menu) == ["Сообщить о мероприятии", "Анонс", *EDITOR_MENU]
    assert "«Обращения» (/tickets)" in menu["text"]
    await report_event(reporter, photos=())
    await editor.expect("Новое сообщение № 1")  # the card came (no Telegram: privately)
    editor.press(menu, "Черновики")  # a text button: its label and payload as a message
    listed = await editor.expect("Новое сообщение № 1")
    assert {"Одобрить", "Редактировать", "Отклонить"} <= set(labels(listed))
    editor.press(listed, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    assert "Одобрено" in (await redrawn(editor, listed, "Одобрено"))["text"]
    editor.press(ask, labels(ask)[1])  # a quick time later today or tomorrow, not «Сейчас»
    where = await redrawn(editor, ask, "Куда публикуем")
    editor.press(where, "Готово")
    await redrawn(editor, where, "запланировано на")
    await editor.answered()

    editor.send("/queue")
    queued = await editor.expect("Открытие спортивной площадки")
    assert "Перенести" in labels(queued)
    editor.send("КОММЕНТАРИИ")
    await editor.expect("Комментариев, ждущих решения, нет.")
    editor.send("/tickets")
    await editor.expect("Обращений жителей, ждущих ответа, нет.")
    editor.send("График")
    plan = await editor.expect("График публикаций")
    assert "<b>" not in plan["text"] and "/plan в Telegram" in plan["text"]


async def test_a_vk_editor_gets_the_plan_link_from_the_menu_and_revokes_it(
    stage: Stage, admin: Chat
) -> None:
    editor = await join_vk_editor(stage, admin)
    async with stage.app.uow() as uow:
        person = await uow.people.by_vk(editor.user_id)
    plan = stage.app.plan
    tomorrow = (plan.today() + timedelta(days=1)).strftime("%d.%m")
    await plan.add_item(person, f"Пост ко Дню района, {tomorrow}")
    menu = await menu_of(editor)
    assert "«Ссылка на график» (/feed)" in menu["text"]
    editor.press(menu, "Ссылка на график")
    offer = await editor.expect("Ссылка на график для календаря в телефоне (ICS)")
    assert labels(offer) == ["Получить новую ссылку", "Отозвать ссылку"]
    calendar_url, page_url = await new_feed_links(editor, offer)
    async with aiohttp.ClientSession() as http:
        async with http.get(calendar_url) as response:
            assert response.status == 200 and response.content_type == "text/calendar"
            feed = icalendar.Calendar.from_ical(await response.read())
        assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["📝 Пост ко Дню района"]
        editor.send("/feed")  # typed as in Telegram, which the links' text names
        editor.press(await editor.expect("Ссылка на график для календаря"), "Отозвать ссылку")
        await editor.expect("Ссылка отозвана: по ней график больше не открывается.")
        for url in (calendar_url, page_url):
            async with http.get(url) as response:
                assert response.status == 404
    await editor.answered()
    assert len(await audit_lines(stage, "plan.feed_issued")) == 1
    assert len(await audit_lines(stage, "plan.feed_revoked")) == 1


async def test_a_vk_editor_answers_a_citizen_in_vk_exactly_once(stage: Stage, admin: Chat) -> None:
    editor = await join_vk_editor(stage, admin)
    citizen = VKPerson(stage, CITIZEN)
    citizen.send(QUESTION)
    await citizen.expect("передано в администрацию")
    card = await editor.expect("Обращение № 1")
    assert labels(card) == ["Ответить", "Шаблон", "Передать в отдел", "Без ответа"]

    editor.press(card, "Ответить")
    await editor.expect("Напишите ответ на обращение № 1")
    editor.send("Отмена")  # the question ends, nothing is kept
    await editor.expect("Отменено")
    editor.press(card, "Ответить")
    await editor.expect("Напишите ответ на обращение № 1")
    first = "Сергей, ремонт дороги запланирован."
    editor.send(first)
    draft = await editor.expect(f"Черновик ответа (Ольга Белова):\n«{first}»")
    assert labels(draft)[:2] == ["Отправить", "Изменить"]
    assert "Черновик ответа" in (await redrawn(editor, card, "Черновик ответа"))["text"]
    editor.press(draft, "Изменить")
    assert f"Сейчас:\n«{first}»" in (await editor.expect("Напишите ответ"))["text"]
    reply = "Сергей, ремонт дороги на ул. Лесной запланирован на июнь."
    editor.send(reply)
    draft = await editor.expect(f"Черновик ответа (Ольга Белова):\n«{reply}»")

    editor.press(draft, "Отправить")
    await citizen.expect(reply)
    await redrawn(editor, draft, "Ответ отправлен: Ольга Белова")
    assert labels(editor.current(draft)) == [] and labels(editor.current(card)) == []
    editor.press(draft, "Отправить", as_seen=True)  # a stale client: nothing is sent again
    await editor.expect("уже ответили")  # the core's conflict, said as a message
    await editor.answered()
    assert [m["text"] for m in citizen.bot_messages()].count(reply) == 1
    assert first not in [m["text"] for m in citizen.bot_messages()]
    assert len(citizen.bot_messages()) == 2  # the acknowledgement and the one answer
    [ticket] = await tickets(stage)
    assert ticket.state == "answered" and ticket.closed_by is not None
    assert len(await audit_lines(stage, "ticket.answered")) == 1


async def test_a_vk_editor_takes_a_template_forwards_and_dismisses(
    stage: Stage, admin: Chat
) -> None:
    head = await join_vk(stage, admin, "Отдел ЖКХ")
    editor = await join_vk_editor(stage, admin)
    citizen = VKPerson(stage, CITIZEN)
    citizen.send("Куда обращаться по поводу вывоза мусора?")
    card = await editor.expect("Обращение № 1")
    editor.press(card, "Шаблон")
    listing = await editor.expect("Какой шаблон взять")
    editor.press(listing, "Передано в отдел")
    draft = await editor.expect("Сергей, ваш вопрос № 1 передан в Отдел ЖКХ.")
    editor.press(draft, "Отправить")
    await citizen.expect("Сергей, ваш вопрос № 1 передан в Отдел ЖКХ.")

    citizen.send(QUESTION)
    second = await editor.expect("Обращение № 2")
    editor.press(second, "Передать в отдел")
    choose = await editor.expect("В какой отдел передать обращение № 2?")
    editor.press(choose, "Отдел ЖКХ")
    await head.expect("Вопрос жителя для отдела «Отдел ЖКХ»")
    await redrawn(editor, second, "Передано в отдел: Ольга Смирнова")

    citizen.send("Спасибо за ответ, очень помогли")
    third = await editor.expect("Обращение № 3")
    editor.press(third, "Без ответа")
    await redrawn(editor, third, "Без ответа: Ольга Белова")
    states = [t.state for t in sorted(await tickets(stage), key=lambda t: t.id)]
    assert states == ["answered", "forwarded", "dismissed"]


async def test_a_vk_reporter_keeps_the_menu_and_is_refused_the_lists(
    stage: Stage, admin: Chat
) -> None:
    reporter = await join_vk(stage, admin)
    menu = await menu_of(reporter)
    assert labels(menu) == ["Сообщить о мероприятии", "Анонс"] and "/drafts" not in menu["text"]
    for text in ("Черновики", "/queue", "комментарии", "/tickets", "график", "/feed"):
        reporter.send(text)
        await reporter.expect("только редакторы")
    assert len(await audit_lines(stage, "access.denied")) == 6
