"""End-to-end harness: the real aiogram Dispatcher polls the Telegram emulator over HTTP and
vkbottle talks to the VK emulator; tests play the people and wait on conditions, never sleep."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from sandbox.stage import ADMIN_ID, BOT_TOKEN, BOT_USERNAME, CHANNEL_ID, VK_GROUP_ID, Stage
from storage.models import AuditLog

# Generous: a test waits on a condition and goes on the moment it holds; the bound only ends a
# hung test, and two suites on two cores (pytest -n 2, PostgreSQL beside) slow every answer.
TIMEOUT = 30.0
PG_URL = os.environ.get("PRESSDESK_TEST_PG_URL")
# Every end-to-end test runs on SQLite, and on PostgreSQL too when a server is given.
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(autouse=True, params=ENGINES)
async def database_engine(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """On PostgreSQL each test gets a database of its own, made here and dropped after, so
    no two tests (or two engineers' runs) ever share tables; every Stage built in the test uses
    it."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    assert PG_URL is not None
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    server = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    made = Stage.config

    def config(self: Stage) -> Any:
        chosen = made(self)
        chosen.database.url = url
        return chosen

    monkeypatch.setattr(Stage, "config", config)
    try:
        yield "postgresql"
    finally:
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


class Chat:
    """One person's private chat with the bot, seen from the person's phone."""

    def __init__(self, stage: Stage, user_id: int) -> None:
        self.stage = stage
        self.user_id = user_id
        self.cursor = 0  # bot messages before this index were already looked at

    @property
    def tg(self) -> Any:
        return self.stage.tg

    def bot_messages(self) -> list[dict]:
        return [m for m in self.tg.chat_messages(self.user_id) if m.get("from", {}).get("is_bot")]

    def send(self, text: str) -> dict:
        return self.tg.user_sends_text(self.user_id, text)

    async def expect(self, fragment: str, within: float = TIMEOUT) -> dict:
        """The next bot message (after the cursor) whose text contains `fragment`."""

        def found() -> dict | None:
            messages = self.bot_messages()
            for index in range(self.cursor, len(messages)):
                if fragment in (
                    messages[index].get("text") or messages[index].get("caption") or ""
                ):
                    self.cursor = index + 1
                    return messages[index]
            return None

        try:
            return await self.tg.wait_until(found, timeout=within)
        except TimeoutError:
            texts = [m.get("text") for m in self.bot_messages()[self.cursor :]]
            raise AssertionError(f"no bot message with {fragment!r}; new ones: {texts}") from None

    def tap(self, button: str) -> dict:
        """Tap a button of the keyboard under the input field: it sends its text."""
        keyboard = self.tg.reply_keyboard(self.user_id) or {}
        labels = [b["text"] for row in keyboard.get("keyboard", []) for b in row]
        assert button in labels, f"no {button!r} under the input field: {labels}"
        return self.send(button)

    def press(self, message: dict, button: str) -> str:
        return self.tg.press(self.user_id, self.user_id, message["message_id"], button)

    async def alert(self, query_id: str, within: float = TIMEOUT) -> str:
        answer = await self.tg.wait_until(lambda: self.tg.callback_answer(query_id), timeout=within)
        return answer.get("text") or ""

    async def edited(self, message: dict, fragment: str, within: float = TIMEOUT) -> dict:
        """Wait until the bot has edited `message` to contain `fragment`; return it as it is."""
        try:
            await self.tg.wait_until(
                lambda: fragment in (self.current(message).get("text") or ""), timeout=within
            )
        except TimeoutError:
            raise AssertionError(
                f"message never said {fragment!r}: {self.current(message).get('text')!r}"
            ) from None
        return self.current(message)

    def current(self, message: dict) -> dict:
        """The message as it is now (after the bot edited it)."""
        return next(
            m
            for m in self.tg.chat_messages(self.user_id)
            if m["message_id"] == message["message_id"]
        )


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


@pytest.fixture(autouse=True)
def no_token_anywhere(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Every e2e test with a stage (whichever module defines it) runs with DEBUG logging
    captured and ends with the secrets check."""
    caplog.set_level(logging.DEBUG)
    stage = request.getfixturevalue("stage") if "stage" in request.fixturenames else None
    yield
    if stage is None:
        return
    # The emulators play Telegram's and VK's servers: their access log is theirs, not the desk's.
    ours = [
        r
        for r in caplog.records
        if r.name != "aiohttp.access" and not r.name.startswith("emulators")
    ]
    assert_no_secrets(stage, stage_tokens(stage), "\n".join(caplog.handler.format(r) for r in ours))


def database_bytes(stage: Stage) -> bytes:
    """What the desk stored: the SQLite files in its data folder (free pages and copies too)
    and, when the engine is PostgreSQL, every row of its database as text."""
    files = b"".join(p.read_bytes() for p in stage.data_dir.glob("pressdesk.db*"))
    url = make_url(stage.config().database.url)
    if url.get_backend_name() != "postgresql":
        return files
    # A sync check (the teardown's) on an async driver: its own loop in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(asyncio.run, _all_rows(url.set(drivername="postgresql"))).result()
    return files + rows.encode()


ROWS_AS_TEXT = """SELECT coalesce(string_agg(t::text, chr(10)), '') FROM "{}" t"""


async def _all_rows(url: URL) -> str:
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        assert tables, "the desk's tables are not where its database is"
        texts = [await conn.fetchval(ROWS_AS_TEXT.format(name)) for (name,) in tables]
    finally:
        await conn.close()
    return "\n".join(texts)


def stage_tokens(stage: Stage) -> set[str]:
    """Every token of the run: the bot's, each VK, OK and Graph token ever issued (rotated ones
    too), OK's application secret, MAX's."""
    others = (
        stage.ok_token,
        stage.ok_app_secret,
        stage.max_token,
        stage.graph_token,
        stage.ig_token,
        *(() if stage.ok_bot_token is None else (stage.ok_bot_token,)),
        *stage.ok.bot_api.issued,
    )
    issued = (*stage.vk.state.tokens, *stage.ok.state.tokens, *stage.graph.state.tokens)
    return {BOT_TOKEN, stage.vk_user_token, stage.vk_group_token, *issued, *others}


def assert_no_secrets(stage: Stage, tokens: set[str], logged: str) -> None:
    """No token in any log line (DEBUG included), in anything the bot said to a person, in the
    audit log or anywhere in the database files (encrypted tokens are not their plaintext)."""
    said = [
        m.get("text") or m.get("caption") or ""
        for chat_id in stage.tg.chats
        for m in stage.tg.chat_messages(chat_id)
    ]
    said += [
        str(m.get("text", "")) for peer in stage.vk.state.messages.values() for m in peer.values()
    ]
    files = database_bytes(stage)
    for token in tokens:
        secret = token.split(":", 1)[-1]  # the bot id before ':' is public
        assert secret not in logged, "a token in the log"
        assert not any(secret in text for text in said), "a token in a message to a person"
        assert secret.encode() not in files, "a token in the database"


@pytest.fixture
async def admin(stage: Stage) -> Chat:
    chat = Chat(stage, ADMIN_ID)
    chat.send("/start")
    await chat.expect("Здравствуйте")
    return chat


async def invite(admin: Chat, role_title: str, department: str) -> str:
    admin.send("/invite")
    card = await admin.expect("Кого приглашаем?")
    admin.press(card, role_title)
    await admin.tg.wait_until(lambda: "Из какого отдела" in (admin.current(card).get("text") or ""))
    names = buttons(admin.current(card))
    admin.press(admin.current(card), department if department in names else "➕ Новый отдел")
    if department not in names:
        await admin.tg.wait_until(
            lambda: "Напишите название" in (admin.current(card).get("text") or "")
        )
        admin.send(department)
        link = await admin.expect(f"t.me/{BOT_USERNAME}?start=")
    else:
        await admin.tg.wait_until(lambda: "start=" in (admin.current(card).get("text") or ""))
        link = admin.current(card)
    return re.search(r"start=(\S+)", link["text"])[1]


async def join(
    stage: Stage, admin: Chat, user_id: int, name: str, role_title: str, department: str
) -> Chat:
    first, _, last = name.partition(" ")
    stage.tg.add_user(user_id, first, last)
    code = await invite(admin, role_title, department)
    chat = Chat(stage, user_id)
    chat.send(f"/start {code}")
    await chat.expect("Добро пожаловать")
    return chat


@pytest.fixture
async def reporter(stage: Stage, admin: Chat) -> Chat:
    return await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )


@pytest.fixture
async def editor(stage: Stage, admin: Chat) -> Chat:
    return await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")


PHOTO_A = b"\xff\xd8\xff\xe0" + b"photo-A" * 50
PHOTO_B = b"\xff\xd8\xff\xe0" + b"photo-B" * 50


async def start_report(reporter: Chat, title: str) -> dict:
    """/report and the title; returns the question about the date."""
    reporter.send("/report")
    await reporter.expect("Как оно называется?")
    reporter.send(title)
    return await reporter.expect("Когда оно прошло?")


async def answer_until_attachments(
    reporter: Chat, title: str, when: str, place: str, description: str, tap_date: bool = False
) -> dict:
    """/report and the four text answers; returns the question about attachments."""
    await start_report(reporter, title)
    if tap_date:
        reporter.tap(when)
    else:
        reporter.send(when)
    await reporter.expect("Где?")
    reporter.send(place)
    await reporter.expect("Коротко опишите")
    reporter.send(description)
    return await reporter.expect("Пришлите фото или видео")


async def report_event(
    reporter: Chat,
    title: str = "Открытие спортивной площадки в с. Корнилово",
    description: str = "Площадку открыли глава района и школьники.",
    photos: tuple[bytes, ...] = (PHOTO_A, PHOTO_B),
) -> dict:
    await answer_until_attachments(
        reporter, title, "Вчера", "с. Корнилово, ул. Школьная, 12", description, tap_date=True
    )
    assert "Сообщить о мероприятии" in str(reporter.tg.reply_keyboard(reporter.user_id))
    if photos:
        reporter.stage.tg.user_sends_photos(reporter.user_id, list(photos))
        status = await reporter.expect(
            f"Получено вложений: {len(photos)}" if len(photos) == 1 else "Получено вложений"
        )
        await reporter.tg.wait_until(
            lambda: f"Получено вложений: {len(photos)}" in reporter.current(status)["text"]
        )
        reporter.press(reporter.current(status), "Готово")
    else:
        reporter.press(reporter.bot_messages()[-1], "Без вложений")
    summary = await reporter.expect("Проверьте:")
    reporter.press(summary, "Отправить")
    receipt = await reporter.edited(summary, "Сообщение № ")  # the summary becomes the receipt
    assert buttons(receipt) == []
    return receipt


def local_time_in(stage: Stage, seconds: float) -> str:
    """A moment `seconds` ahead, typed as a person would (with seconds, so tests stay short)."""
    config = stage.app.config
    moment = (stage.app.clock() + timedelta(seconds=seconds)).astimezone(config.desk.tz)
    return f"{moment:%d.%m.%Y %H:%M:%S}"


def channel_posts(stage: Stage) -> list[dict]:
    return stage.tg.chat_messages(CHANNEL_ID)


def wall(stage: Stage) -> list[dict]:
    return stage.vk.wall_posts(-VK_GROUP_ID)


async def approve_now(editor: Chat) -> None:
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")


async def audit_line(stage: Stage, action: str, within: float = TIMEOUT) -> AuditLog:
    """Wait until an audit line of `action` is written (it may follow the visible change)."""
    found: list[AuditLog] = []

    async def written() -> bool:
        found[:] = await audit_lines(stage, action)
        return bool(found)

    await wait_for(stage, written, within)
    return found[-1]


async def wait_for(stage: Stage, condition: Any, within: float = TIMEOUT) -> None:
    """Wait until the async `condition()` holds (the database can't announce a change):
    re-checked whenever the VK emulator changes, and at least every 50 ms."""
    async with asyncio.timeout(within):
        while not await condition():
            await stage.vk.state.wait_changed(0.05)


async def audit_lines(stage: Stage, action: str) -> list[AuditLog]:
    async with stage.app.uow() as uow:
        return list(
            (await uow.session.exec(select(AuditLog).where(AuditLog.action == action))).all()
        )


async def landed(chat: Chat, *networks: str, within: float = 45) -> str:
    """Each network's «Опубликовано» (one message per network, as each lands); their texts."""
    texts: list[str] = []
    while not all(any(f"\n{n}: " in t for t in texts) for n in networks):
        texts.append((await chat.expect("Опубликовано", within=within))["text"])
    return "\n".join(texts)
