"""A department head works through the VK community's messages (vkbottle against the VK
emulator); the editor stays in Telegram. The same core, the same steps and words."""

from __future__ import annotations

import json
import re

from sqlmodel import select

from handlers.vk.messages import catch_up
from sandbox.stage import VK_GROUP_ID, Stage
from storage.models import Report
from tests.e2e.conftest import PHOTO_A, TIMEOUT, Chat, approve_now, audit_lines, invite, landed

VK_REPORTER = 700001
MENU = "Сообщить о мероприятии"
STICKER = {
    "type": "sticker",
    "sticker": {"product_id": 279, "sticker_id": 9008, "images": [], "images_with_background": []},
}
AUDIO = {
    "type": "audio",
    "audio": {"id": 456239017, "owner_id": VK_REPORTER, "artist": "Гимн", "title": "района"},
}


class VKPerson:
    """One person's dialogue with the community, seen from their VK app."""

    def __init__(self, stage: Stage, user_id: int) -> None:
        self.stage = stage
        self.vk = stage.vk
        self.user_id = user_id
        self.cursor = 0
        self.presses = 0

    def bot_messages(self) -> list[dict]:
        return sorted(self.vk.sent_messages(self.user_id), key=lambda m: m["id"])

    def send(self, text: str = "", **kwargs: object) -> dict:
        return self.vk.user_sends_message(self.user_id, VK_GROUP_ID, text, **kwargs)

    async def expect(self, fragment: str, within: float = TIMEOUT) -> dict:
        """The next community message (after the cursor) whose text contains `fragment`."""

        def found() -> dict | None:
            messages = self.bot_messages()
            for index in range(self.cursor, len(messages)):
                if fragment in messages[index]["text"]:
                    self.cursor = index + 1
                    return messages[index]
            return None

        try:
            return await self.vk.wait_until(found, timeout=within)
        except TimeoutError:
            texts = [m["text"] for m in self.bot_messages()[self.cursor :]]
            raise AssertionError(f"no message with {fragment!r}; new ones: {texts}") from None

    def current(self, message: dict) -> dict:
        return next(m for m in self.bot_messages() if m["id"] == message["id"])

    def press(self, message: dict, label: str, as_seen: bool = False) -> None:
        """Press a button under a message as VK does: a callback button sends message_event,
        a text button sends its label as a message with the button's payload. `as_seen`: the
        message as it was then (a client that has not yet caught up with an edit)."""
        shown = message if as_seen else self.current(message)
        button = next(b for b in keyboard(shown) if b["label"] == label)
        raw = button.get("payload") or {}
        payload = json.loads(raw) if isinstance(raw, str) else raw
        if button["type"] == "callback":
            self.presses += 1
            self.vk.user_presses_button(
                self.user_id, VK_GROUP_ID, payload, message["conversation_message_id"]
            )
        else:
            self.send(label, payload=payload)

    async def answered(self) -> list[dict]:
        """Every button press was answered (the app's spinner stops): the answers so far."""

        def mine() -> list[dict]:
            answers = self.vk.event_answers(VK_GROUP_ID)
            return [a for a in answers if a["user_id"] == self.user_id]

        await self.vk.wait_until(lambda: len(mine()) >= self.presses, timeout=TIMEOUT)
        return mine()


def keyboard(message: dict) -> list[dict]:
    raw = message.get("keyboard")
    if not raw:
        return []
    data = json.loads(raw) if isinstance(raw, str) else raw
    return [button["action"] for row in data.get("buttons", []) for button in row]


def labels(message: dict) -> list[str]:
    return [b["label"] for b in keyboard(message)]


async def join_vk(stage: Stage, admin: Chat, department: str = "Отдел культуры") -> VKPerson:
    stage.vk.add_user(VK_REPORTER, "Ольга", "Смирнова")
    code = await invite(admin, "Руководитель подразделения", department)
    link = next(m for m in reversed(admin.bot_messages()) if code in (m.get("text") or ""))
    vk_line = f"Во ВКонтакте: напишите сообществу https://vk.com/im?sel=-{VK_GROUP_ID} код {code}"
    assert vk_line in admin.current(link)["text"]
    person = VKPerson(stage, VK_REPORTER)
    person.send(f"Начать {code}")
    welcome = await person.expect("Добро пожаловать, Ольга Смирнова!")
    assert "Руководитель подразделения" in welcome["text"] or department in welcome["text"]
    assert labels(welcome) == ["Сообщить о мероприятии", "Анонс"]  # the menu under the input field
    return person


async def start_report(person: VKPerson) -> None:
    menu = person.bot_messages()[-1]
    person.press(menu, "Сообщить о мероприятии")  # a text button: comes as a message
    await person.expect("Как оно называется?")


async def test_stranger_joins_by_code_reports_and_hears_it_was_published(
    stage: Stage, admin: Chat, editor: Chat
) -> None:
    stage.vk.add_user(VK_REPORTER, "Ольга", "Смирнова")
    stranger = VKPerson(stage, VK_REPORTER)
    stranger.send("/report")  # a staff command from a stranger: the invitation rule
    refusal = await stranger.expect("доступен только по приглашению")
    assert "попросите приглашение у администратора" in refusal["text"]
    [line] = await audit_lines(stage, "access.refused")
    assert line.actor_ref == f"vk:{VK_REPORTER}"

    person = await join_vk(stage, admin)
    async with stage.app.uow() as uow:
        registered = await uow.people.by_vk(VK_REPORTER)
    assert registered is not None and registered.full_name == "Ольга Смирнова"
    assert registered.telegram_id is None

    await start_report(person)
    person.send("День села в Корнилово")
    ask_date = await person.expect("Когда оно прошло?")
    assert labels(ask_date) == ["Сегодня", "Вчера"]
    person.press(ask_date, "Вчера")
    await person.expect("Где?")
    person.send("с. Корнилово, Дом культуры")
    await person.expect("Коротко опишите")
    person.send("Концерт, ярмарка и награждение лучших жителей села.")
    ask_media = await person.expect("Пришлите фото")
    assert labels(ask_media) == ["Готово", "Без вложений"]
    person.send(photos=[PHOTO_A])
    status = await person.expect("Получено вложений: 1")
    person.press(status, "Готово")
    summary = await person.expect("Проверьте:")
    assert "«День села в Корнилово»" in summary["text"] and "вложений: 1" in summary["text"]
    assert labels(summary) == ["Отправить", "Изменить", "Отмена"]
    person.press(summary, "Отправить")
    done = await person.expect("передано в пресс-службу")
    assert "Сообщение № 1" in done["text"]
    assert labels(done) == ["Сообщить о мероприятии", "Анонс"]
    assert labels(person.current(summary)) == []  # «Отправить» can't act twice
    # No photo was ever uploaded to this dialogue: a press's redraw reads nothing back first.
    assert not any(method == "messages.getById" for method, _ in stage.vk.requests)
    await person.answered()

    card = await editor.expect("Новое сообщение № 1")
    # One photo: the card is its caption, a single message with the buttons under it.
    assert "Отдел культуры" in card["caption"] and "Ольга Смирнова" in card["caption"]
    assert "1 фото" in card["caption"]
    assert [m for m in editor.bot_messages() if m.get("photo")] == [card]
    assert stage.tg.file_bytes(card["photo"][-1]["file_id"]) == PHOTO_A

    editor.press(card, "Одобрить")
    await approve_now(editor)
    decided = editor.current(card)  # the caption now says who decided, and the buttons are gone
    assert "Одобрено" in decided["caption"] and labels(decided) == []
    await editor.expect("Опубликовано", within=20)
    # Each network's link as it lands: two messages.
    links = await landed(person, "Telegram", "ВКонтакте", within=20)
    assert "«День села в Корнилово»" in links
    assert re.search(rf"https://vk\.com/wall-{VK_GROUP_ID}_\d+", links)
    assert "https://t.me/tomsk_district_demo/" in links

    person.press(summary, "Отправить", as_seen=True)  # a stale button: a note, nothing more
    answers = await person.answered()
    said = json.loads(answers[-1]["event_data"])["text"]
    assert "Сообщение № 1 уже отправлено" in said and len(said) <= 90
    async with stage.app.uow() as uow:
        assert len((await uow.session.exec(select(Report))).all()) == 1


async def test_rejection_reaches_the_vk_reporter(stage: Stage, admin: Chat, editor: Chat) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Субботник")
    person.press(await person.expect("Когда оно прошло?"), "Сегодня")
    await person.expect("Где?")
    person.send("Парк")
    await person.expect("Коротко опишите")
    person.send("Убрали парк.")
    person.press(await person.expect("Пришлите фото"), "Без вложений")
    person.press(await person.expect("Проверьте:"), "Отправить")
    await person.expect("передано в пресс-службу")

    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Отклонить")
    await editor.expect("Напишите причину")
    editor.send("Об этом уже писали")
    await editor.expect("Отклонено")
    notice = await person.expect("не будет опубликовано")
    assert "Причина: Об этом уже писали" in notice["text"]


async def test_cancel_unsupported_files_and_a_restart_mid_report(stage: Stage, admin: Chat) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Отмена")
    await person.expect("Отменено. Ничего не сохранено.")
    person.send("Что-нибудь")
    await person.expect("Чтобы сообщить о мероприятии")

    await start_report(person)
    person.send("Турнир по мини-футболу")
    person.press(await person.expect("Когда оно прошло?"), "Сегодня")
    await person.expect("Где?")
    person.send(photos=[PHOTO_A])  # a photo where text is expected
    await person.expect("Пришлите, пожалуйста, текстом")
    person.send("Стадион «Кедр»")
    await person.expect("Коротко опишите")
    person.send("Восемь команд, победили школьники из Зональной Станции.")
    await person.expect("Пришлите фото")
    person.send(attachments=[STICKER])
    refused = await person.expect("Такой файл я не могу принять")
    assert labels(refused) == ["Готово", "Без вложений"]
    person.send(attachments=[AUDIO])
    await person.expect("Такой файл я не могу принять")

    # The bot restarts in the middle of the report: nothing the person told it is lost.
    await stage.stop_app()
    await stage.start_app()
    await stage.vk.wait_until(
        lambda: sum(m == "groups.getLongPollServer" for m, _ in stage.vk.requests) >= 2,
        timeout=TIMEOUT,
    )
    person.send(photos=[PHOTO_A])
    status = await person.expect("Получено вложений: 1")
    person.press(status, "Готово")
    summary = await person.expect("Проверьте:")
    assert "«Турнир по мини-футболу»" in summary["text"] and "Стадион «Кедр»" in summary["text"]
    person.press(summary, "Изменить")
    which = await person.expect("Что изменить?")
    person.press(which, "Место")
    await person.expect("Где?")
    person.send("Стадион «Кедр», с. Корнилово")
    summary = await person.expect("Проверьте:")
    assert "Стадион «Кедр», с. Корнилово" in summary["text"]
    person.press(summary, "Отмена")
    await person.expect("Отменено. Сообщение не отправлено.")
    assert labels(person.current(summary)) == []
    await person.answered()
    async with stage.app.uow() as uow:
        assert (await uow.session.exec(select(Report))).all() == []


def replies_with(person: VKPerson, fragment: str) -> int:
    return sum(fragment in m["text"] for m in person.bot_messages())


async def test_messages_written_while_the_bot_was_down_are_answered_once_in_order(
    stage: Stage, admin: Chat
) -> None:
    person = await join_vk(stage, admin)
    await stage.stop_app()
    person.send("Отмена")
    person.send("Сообщить о мероприятии")
    person.send("Ярмарка мёда")
    stranger = VKPerson(stage, VK_REPORTER + 1)
    stranger.vk.add_user(stranger.user_id, "Пётр", "Сидоров")
    stranger.send("Здравствуйте!")
    await stage.start_app()

    await person.expect("Сейчас нечего отменять.")
    await person.expect("Как оно называется?")
    ask_date = await person.expect("Когда оно прошло?")  # the title was taken, in order
    await stranger.expect("передано в администрацию")  # a citizen's message: a ticket
    person.press(ask_date, "Сегодня")  # and the live dialog goes on from there
    await person.expect("Где?")
    # Every handled message is marked read in VK, so the next catch-up has nothing to list.
    await stage.vk.wait_until(lambda: not catch_up_finds(stage))

    # A message that came by the long poll and is listed by a catch-up too is handled once.
    stage.vk.state.in_read[VK_GROUP_ID].clear()  # VK shows every dialogue unread again
    assert await catch_up(stage.app.vk_chat) == 0
    person.send("Дом культуры")
    await person.expect("Коротко опишите")
    for fragment in ("нечего отменять", "Как оно называется?", "Когда оно прошло?", "Где?"):
        assert replies_with(person, fragment) == 1, fragment
    assert replies_with(stranger, "передано в администрацию") == 1
    async with stage.app.uow() as uow:
        assert [t.citizen_id for t in await uow.tickets.open()] == [stranger.user_id]


async def test_messages_lost_by_the_long_poll_are_caught_up(stage: Stage, admin: Chat) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Субботник в парке")
    stage.vk.lose_longpoll_history(VK_GROUP_ID)  # VK answers failed 1: the event never comes
    await person.expect("Когда оно прошло?")
    person.send("Отмена")
    await person.expect("Отменено. Ничего не сохранено.")
    assert replies_with(person, "Когда оно прошло?") == 1


def catch_up_finds(stage: Stage) -> bool:
    """Some incoming message of the community is still unread."""
    state = stage.vk.state
    reads = state.in_read[VK_GROUP_ID]
    return any(
        not m["out"] and m["id"] > reads.get(m["peer_id"], 0)
        for m in state.messages[VK_GROUP_ID].values()
    )


async def test_one_message_id_far_ahead_does_not_swallow_the_real_ones(
    stage: Stage, admin: Chat
) -> None:
    person = await join_vk(stage, admin)
    real = person.send("Здравствуйте")
    await person.expect("Сообщить о мероприятии")
    # An event whose conversation_message_id is far past anything the dialogue holds
    odd = {
        **real,
        "id": real["id"] + 1,
        "conversation_message_id": real["conversation_message_id"] + 10_000,
        "text": "?",
    }
    stage.vk.state.emit(VK_GROUP_ID, "message_new", {"message": odd, "client_info": {}})
    await person.expect("Сообщить о мероприятии")  # it was answered as any message is
    await start_report(person)  # and the next real message is not skipped


async def test_vk_commands_mid_dialog_and_the_menu_button_keep_the_report(
    stage: Stage, admin: Chat
) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Субботник")
    person.press(await person.expect("Когда оно прошло?"), "Сегодня")
    await person.expect("Где?")
    person.send("/help")
    await person.expect("Что можно сделать здесь")
    await person.expect("Продолжим сообщение о мероприятии")
    person.send("/drafts")  # a Telegram command is not the place either
    await person.expect("Продолжим сообщение о мероприятии")
    menu = next(m for m in reversed(person.bot_messages()) if MENU in labels(m))
    person.press(menu, MENU)
    question = await person.expect("«Субботник» ещё не отправлено. Начать новое?")
    person.press(question, "Продолжить начатое")
    await person.expect("Где?")
    person.send("Парк")
    await person.expect("Коротко опишите")
    person.send("Убрали парк.")
    person.press(await person.expect("Пришлите фото"), "Без вложений")
    summary = await person.expect("Проверьте:")
    assert "Парк" in summary["text"] and "/drafts" not in summary["text"]
    person.press(menu, MENU)
    person.press(await person.expect("Начать новое?"), "Начать заново")
    await person.expect("Как оно называется?")


async def test_vk_attachment_step_words_and_a_text_file_sent_as_a_photo(
    stage: Stage, admin: Chat
) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Субботник")
    person.press(await person.expect("Когда оно прошло?"), "Сегодня")
    await person.expect("Где?")
    person.send("Парк")
    await person.expect("Коротко опишите")
    person.send("Убрали парк.")
    prompt = await person.expect("Пришлите фото или видео, можно и документы (PDF")
    person.send("а ещё там были дети")  # text, not a file: no «Такой файл»
    said = await person.expect("Здесь я жду вложения: фото или видео, можно и документы (PDF")
    assert "Такой файл" not in said["text"] and labels(said) == ["Готово", "Без вложений"]
    person.send(photos=[b"not a picture at all\n"])
    refusal = await person.expect("не могу принять")
    assert "Пришлите фото" in refusal["text"]
    person.send(photos=[PHOTO_A])
    status = await person.expect("Получено вложений: 1")
    assert labels(status) == ["Готово"]  # «Без вложений» is gone once a file came
    person.press(prompt, "Без вложений")  # the older prompt's button keeps the photo, and says so
    await person.expect("Вложения уже получены — они останутся")
    summary = await person.expect("Проверьте:")
    assert "вложений: 1" in summary["text"]


async def test_a_closed_vk_person_hears_one_line(stage: Stage, admin: Chat) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Субботник")
    ask_date = await person.expect("Когда оно прошло?")
    admin.send("/people")
    listing = await admin.expect("Сотрудники")
    admin.press(listing, "Ольга Смирнова")
    admin.press(await admin.edited(listing, "Сотрудник: Ольга Смирнова"), "Закрыть доступ")
    admin.press(
        await admin.edited(listing, "Закрыть доступ: Ольга Смирнова?"), "Да, закрыть доступ"
    )
    await admin.edited(listing, "Доступ закрыт: Ольга Смирнова.")
    person.send("вчера")
    closed = await person.expect("Доступ закрыт.")
    assert closed["text"] == "Доступ закрыт."
    person.press(ask_date, "Вчера")
    answers = await person.answered()
    assert json.loads(answers[-1]["event_data"])["text"] == "Доступ закрыт."
