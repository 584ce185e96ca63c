"""The Telegram emulator driven by the real aiogram Bot and Dispatcher over HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MenuButtonCommands,
    Message,
)

from emulators.telegram import TelegramEmulator

TOKEN = "123456789:AAEmulatorTestToken"
BOT_ID = 123456789
USER = 1001
CHANNEL = -1001000000001
GROUP = -1001000000002
HOUR = 3600.0


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now


def png(width: int, height: int, tail: bytes) -> bytes:
    """Enough of a PNG for the emulator to read its size; the tail makes the bytes unique."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + tail


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(clock=clock)
    emulator.add_bot(TOKEN)
    emulator.add_user(USER, "Анна", "Петрова", "anna_editor")
    emulator.add_channel(CHANNEL, "Новости города", "city_news", discussion_group_id=GROUP)
    emulator.add_group(GROUP, "Новости города: обсуждение")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    bot = Bot(TOKEN, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def polling(
    emu: TelegramEmulator, bot: Bot
) -> AsyncIterator[Callable[[Dispatcher], Awaitable[None]]]:
    """Starts a real Dispatcher polling the emulator; stops it after the test."""
    running: list[tuple[Dispatcher, asyncio.Task[None]]] = []

    async def start(dp: Dispatcher) -> None:
        polls_before = sum(1 for m, _ in emu.calls if m == "getUpdates")
        task = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, close_bot_session=False)
        )
        running.append((dp, task))
        await emu.wait_until(
            lambda: sum(1 for m, _ in emu.calls if m == "getUpdates") > polls_before
        )

    yield start
    for dp, task in running:
        await dp.stop_polling()
        await task


async def test_start_command_round_trip(emu: TelegramEmulator, bot: Bot, polling: Any) -> None:
    seen: list[Message] = []
    router = Router()

    @router.message(CommandStart())
    async def on_start(message: Message) -> None:
        seen.append(message)
        await message.answer(f"Здравствуйте, {message.from_user.first_name}!")

    dp = Dispatcher()
    dp.include_router(router)
    await polling(dp)

    sent = emu.user_sends_text(USER, "/start hello")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    replies = await emu.wait_until(
        lambda: [m for m in emu.chat_messages(USER) if m.get("from", {}).get("is_bot")]
    )
    assert replies[0]["text"] == "Здравствуйте, Анна!"
    assert replies[0]["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": "Анна",
        "last_name": "Петрова",
        "username": "anna_editor",
    }
    assert seen[0].text == "/start hello"
    assert [m["message_id"] for m in emu.chat_messages(USER)] == [1, 2]


async def test_get_updates_confirms_by_offset_and_long_polls(
    emu: TelegramEmulator, bot: Bot
) -> None:
    emu.user_sends_text(USER, "первое")
    emu.user_sends_text(USER, "второе")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["первое", "второе"]
    # Not confirmed yet: the same updates come again.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    assert await bot.get_updates(timeout=0) == []

    loop = asyncio.get_running_loop()
    started = loop.time()
    polls = sum(1 for m, _ in emu.calls if m == "getUpdates")
    waiting = asyncio.create_task(bot.get_updates(timeout=20))
    await emu.wait_until(lambda: sum(1 for m, _ in emu.calls if m == "getUpdates") > polls)
    emu.user_sends_text(USER, "третье")
    fresh = await asyncio.wait_for(waiting, 5)
    assert [u.message.text for u in fresh] == ["третье"]
    assert fresh[0].update_id == updates[-1].update_id + 1
    assert loop.time() - started < 5


async def test_media_group_upload_keeps_bytes(emu: TelegramEmulator, bot: Bot) -> None:
    first, second = png(1600, 1200, b"first"), png(800, 600, b"second")
    sent = await bot.send_media_group(
        CHANNEL,
        [
            InputMediaPhoto(media=BufferedInputFile(first, "a.png"), caption="Субботник"),
            InputMediaPhoto(media=BufferedInputFile(second, "b.png")),
        ],
    )
    assert len(sent) == 2
    posts = emu.chat_messages(CHANNEL)
    assert len(posts) == 2
    assert posts[0]["media_group_id"] == posts[1]["media_group_id"] == sent[0].media_group_id
    assert posts[0]["caption"] == "Субботник"
    assert emu.file_bytes(posts[0]["photo"][-1]["file_id"]) == first
    assert emu.file_bytes(posts[1]["photo"][-1]["file_id"]) == second
    assert (posts[0]["photo"][-1]["width"], posts[0]["photo"][-1]["height"]) == (1600, 1200)
    # The smaller size is a different file, so taking photo[0] would be a visible bug.
    assert emu.file_bytes(posts[0]["photo"][0]["file_id"]) != first

    # Re-sending by file_id resolves to the same bytes.
    again = await bot.send_photo(USER_CHAT := CHANNEL, sent[0].photo[-1].file_id)
    assert again.chat.id == USER_CHAT
    assert emu.file_bytes(again.photo[-1].file_id) == first

    with pytest.raises(TelegramBadRequest, match="media group must contain 2-10 items"):
        await bot.send_media_group(CHANNEL, [InputMediaPhoto(media=sent[0].photo[-1].file_id)])


async def test_text_length_limit(emu: TelegramEmulator, bot: Bot) -> None:
    emu.open_private_chat(USER)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER, "я" * 4097)
    assert emu.chat_messages(USER) == []
    ok = await bot.send_message(USER, "я" * 4096)
    assert len(ok.text) == 4096
    # Emoji outside the BMP count twice in UTF-16.
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "  \n ")


async def test_caption_limit(emu: TelegramEmulator, bot: Bot) -> None:
    photo = BufferedInputFile(png(10, 10, b"x"), "p.png")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(CHANNEL, photo, caption="ы" * 1025)
    assert emu.chat_messages(CHANNEL) == []
    ok = await bot.send_photo(CHANNEL, photo, caption="ы" * 1024)
    assert len(ok.caption) == 1024


async def test_html_entities_are_counted_after_parsing(emu: TelegramEmulator, bot: Bot) -> None:
    visible = 4000 + 96
    html = "<b>" + "а" * 4000 + "</b>" + "&lt;" * 96
    assert len(html) > 4096
    msg = await bot.send_message(CHANNEL, html, parse_mode="HTML")
    assert len(msg.text) == visible
    assert msg.text.endswith("<" * 96)
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 0, 4000)]
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHANNEL, html + "&amp;", parse_mode="HTML")

    nested = await bot.send_message(
        CHANNEL,
        '<a href="https://example.org">Сайт <i>мэрии</i></a> &quot;ok&quot; '
        "<blockquote>цитата</blockquote>",
        parse_mode="HTML",
    )
    assert nested.text == 'Сайт мэрии "ok" цитата'
    assert [(e.type, e.offset, e.length) for e in nested.entities] == [
        ("text_link", 0, 10),
        ("italic", 5, 5),
        ("blockquote", 16, 6),
    ]
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(CHANNEL, "<b>жирный", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(CHANNEL, "строка<br>строка", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=re.escape("Character '.' is reserved")):
        await bot.send_message(CHANNEL, "Конец.", parse_mode="MarkdownV2")


async def test_callback_button_reaches_handler(
    emu: TelegramEmulator, bot: Bot, polling: Any
) -> None:
    seen: list[CallbackQuery] = []
    router = Router()

    @router.callback_query(F.data.startswith("approve:"))
    async def on_approve(query: CallbackQuery) -> None:
        seen.append(query)
        await query.answer("Принято")

    dp = Dispatcher()
    dp.include_router(router)
    emu.open_private_chat(USER)
    await polling(dp)

    msg = await bot.send_message(
        USER, "Черновик готов", reply_markup=keyboard(("Одобрить", "approve:42"))
    )
    assert emu.chat_messages(USER)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Одобрить", "callback_data": "approve:42"}]]
    }
    query_id = emu.press(USER, USER, msg.message_id, "Одобрить")
    answer = await emu.wait_until(lambda: emu.callback_answer(query_id))
    assert answer == {"text": "Принято", "show_alert": False}
    assert seen[0].data == "approve:42"
    assert seen[0].from_user.id == USER
    assert seen[0].message.message_id == msg.message_id
    with pytest.raises(LookupError, match="Отклонить"):
        emu.press(USER, USER, msg.message_id, "Отклонить")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id, text="ещё раз")


async def test_callback_data_limit(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHANNEL, "x", reply_markup=keyboard(("Да", "ж" * 33)))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(
            CHANNEL,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Пусто")]]
            ),
        )


async def test_edit_reply_markup_twice_is_not_modified(emu: TelegramEmulator, bot: Bot) -> None:
    msg = await bot.send_message(CHANNEL, "Пост", reply_markup=keyboard(("Старое", "old")))
    markup = keyboard(("Новое", "new"))
    edited = await bot.edit_message_reply_markup(
        chat_id=CHANNEL, message_id=msg.message_id, reply_markup=markup
    )
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "new"
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_reply_markup(
            chat_id=CHANNEL, message_id=msg.message_id, reply_markup=markup
        )
    # editMessageText without reply_markup drops the keyboard, as Telegram does.
    await bot.edit_message_text("Пост (исправлено)", chat_id=CHANNEL, message_id=msg.message_id)
    current = emu.chat_messages(CHANNEL)[0]
    assert current["text"] == "Пост (исправлено)"
    assert "reply_markup" not in current
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHANNEL, message_id=999)


async def test_delete_refused_after_48_hours(
    emu: TelegramEmulator, bot: Bot, clock: ManualClock
) -> None:
    fresh = await bot.send_message(CHANNEL, "Свежий")
    old = await bot.send_message(CHANNEL, "Старый")
    assert await bot.delete_message(CHANNEL, fresh.message_id) is True
    clock.now += 49 * HOUR
    with pytest.raises(TelegramBadRequest, match="message can't be deleted for everyone"):
        await bot.delete_message(CHANNEL, old.message_id)
    assert [m["text"] for m in emu.chat_messages(CHANNEL)] == ["Старый"]
    assert [m["text"] for m in emu.deleted_messages(CHANNEL)] == ["Свежий"]


async def test_injected_429(emu: TelegramEmulator, bot: Bot) -> None:
    emu.inject_fault("sendMessage", "429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(CHANNEL, "раз")
    assert caught.value.retry_after == 7
    assert emu.chat_messages(CHANNEL) == []
    await bot.send_message(CHANNEL, "два")
    assert [(m, p["chat_id"]) for m, p in emu.calls] == [("sendMessage", CHANNEL)] * 2
    assert [m["text"] for m in emu.chat_messages(CHANNEL)] == ["два"]


async def test_injected_500_and_timeout(emu: TelegramEmulator, bot: Bot) -> None:
    emu.inject_fault("*", "500")
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    assert (await bot.get_me()).id == BOT_ID

    emu.fault_timeout_seconds = 2.0
    emu.inject_fault("SENDMESSAGE", "timeout")
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(CHANNEL, "потеряно", request_timeout=1)
    assert emu.chat_messages(CHANNEL) == []


async def test_errors_for_token_method_and_chat(emu: TelegramEmulator, bot: Bot) -> None:
    stranger = Bot(
        "999:wrong", session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    )
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-100999, "x")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(USER, "x")
    emu.open_private_chat(USER)
    emu.user_blocks_bot(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    async with aiohttp.ClientSession() as http:
        url = f"{emu.base_url}/bot{TOKEN}"
        async with http.post(f"{url}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{url}/sendMessage", data={"chat_id": CHANNEL, "txt": "x"}) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["description"].startswith("Bad Request:")
        async with http.post(
            f"{url}/sendMessage", json={"chat_id": CHANNEL, "text": "через JSON"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "через JSON"


async def test_channel_post_reaches_discussion_and_comment_reaches_bot(
    emu: TelegramEmulator, bot: Bot, polling: Any
) -> None:
    group_messages: list[Message] = []
    router = Router()

    @router.message(F.chat.id == GROUP)
    async def in_group(message: Message) -> None:
        group_messages.append(message)

    dp = Dispatcher()
    dp.include_router(router)
    await polling(dp)

    post = await bot.send_message(CHANNEL, "Перекрытие улицы Ленина")
    forward = emu.discussion_message_for(CHANNEL, post.message_id)
    assert forward["is_automatic_forward"] is True
    assert forward["from"]["id"] == 777000
    assert forward["sender_chat"]["id"] == CHANNEL
    assert forward["forward_origin"]["message_id"] == post.message_id
    assert forward["text"] == "Перекрытие улицы Ленина"
    await emu.wait_until(lambda: any(m.is_automatic_forward for m in group_messages))

    comment = emu.user_sends_text(
        USER, "А объезд где?", chat_id=GROUP, reply_to_message_id=forward["message_id"]
    )
    assert comment["message_thread_id"] == forward["message_id"]
    received = await emu.wait_until(
        lambda: [m for m in group_messages if m.text == "А объезд где?"]
    )
    reply = received[0].reply_to_message
    assert reply is not None
    assert reply.is_automatic_forward
    assert reply.forward_origin.chat.id == CHANNEL
    assert reply.forward_origin.message_id == post.message_id

    # Edits of the post show in the discussion copy.
    await bot.edit_message_text("Перекрытие отменено", chat_id=CHANNEL, message_id=post.message_id)
    assert emu.discussion_message_for(CHANNEL, post.message_id)["text"] == "Перекрытие отменено"


async def test_control_api_and_events(emu: TelegramEmulator, bot: Bot) -> None:
    events = emu.subscribe()
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{emu.base_url}/_emu/users/{USER}/text", json={"text": "Привет из песочницы"}
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["text"] == "Привет из песочницы"
        form = aiohttp.FormData()
        form.add_field("photo", png(5, 5, b"a"), filename="a.png")
        form.add_field("photo", png(6, 6, b"b"), filename="b.png")
        form.add_field("caption", "Фото")
        async with http.post(f"{emu.base_url}/_emu/users/{USER}/photo", data=form) as resp:
            album = await resp.json()
        assert album[0]["media_group_id"] == album[1]["media_group_id"]
        async with http.get(f"{emu.base_url}/_emu/chats/{USER}/messages") as resp:
            view = await resp.json()
        assert [m.get("text", m.get("caption")) for m in view["messages"]] == [
            "Привет из песочницы",
            "Фото",
            None,
        ]
        file_id = album[1]["photo"][-1]["file_id"]
        async with http.get(f"{emu.base_url}/_emu/files/{file_id}") as resp:
            assert await resp.read() == png(6, 6, b"b")
    event = events.get_nowait()
    assert (event["type"], event["chat_id"]) == ("message", USER)

    # The sandbox page follows changes as Server-Sent Events.
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emu.base_url}/_emu/events") as stream,
    ):
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await emu.wait_until(lambda: len(emu._subscribers) == 2)
        await bot.send_message(CHANNEL, "Событие")
        line = await asyncio.wait_for(stream.content.readline(), 5)
        assert json.loads(line.removeprefix(b"data: "))["message"]["text"] == "Событие"

    # The bot downloads what the user sent through getFile + /file/.
    downloaded = await bot.download(file_id)
    assert downloaded is not None
    assert downloaded.read() == png(6, 6, b"b")


async def test_other_methods_answer_in_aiogram_types(emu: TelegramEmulator, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start Now", description="x")])

    channel = await bot.get_chat(CHANNEL)
    assert (channel.type, channel.linked_chat_id) == ("channel", GROUP)
    me = await bot.get_chat_member(CHANNEL, BOT_ID)
    assert me.status == "administrator"
    assert me.can_post_messages
    assert [a.user.id for a in await bot.get_chat_administrators(GROUP)] == [BOT_ID]
    emu.user_sends_text(USER, "спам", chat_id=GROUP)
    assert (await bot.get_chat_member(GROUP, USER)).status == "member"
    assert await bot.ban_chat_member(GROUP, USER)
    assert (await bot.get_chat_member(GROUP, USER)).status == "kicked"
    with pytest.raises(PermissionError):
        emu.user_sends_text(USER, "снова спам", chat_id=GROUP)
    assert await bot.unban_chat_member(GROUP, USER, only_if_banned=True)
    assert await bot.send_chat_action(CHANNEL, "upload_photo")

    doc = await bot.send_document(
        CHANNEL, BufferedInputFile(b"%PDF-1.4 report", "report.pdf"), caption="Отчёт"
    )
    assert (doc.document.file_name, doc.document.mime_type) == ("report.pdf", "application/pdf")
    video = await bot.send_video(CHANNEL, BufferedInputFile(b"\x00\x00mp4", "clip.mp4"))
    assert emu.file_bytes(video.video.file_id) == b"\x00\x00mp4"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(CHANNEL, doc.document.file_id)

    edited = await bot.edit_message_caption(
        chat_id=CHANNEL, message_id=doc.message_id, caption="<b>Отчёт</b> за май", parse_mode="HTML"
    )
    assert (edited.caption, edited.caption_entities[0].type) == ("Отчёт за май", "bold")
    photo = BufferedInputFile(png(20, 10, b"new"), "n.png")
    replaced = await bot.edit_message_media(
        InputMediaPhoto(media=photo, caption="Фото"), chat_id=CHANNEL, message_id=video.message_id
    )
    assert replaced.video is None
    assert emu.file_bytes(replaced.photo[-1].file_id) == png(20, 10, b"new")

    emu.open_private_chat(USER)
    copied = await bot.copy_message(USER, CHANNEL, doc.message_id)
    forwarded = await bot.forward_message(USER, CHANNEL, doc.message_id)
    private = emu.chat_messages(USER)
    assert private[0]["message_id"] == copied.message_id
    assert "forward_origin" not in private[0]
    assert forwarded.forward_origin.chat.id == CHANNEL
    assert await bot.set_message_reaction(USER, forwarded.message_id)

    incoming = emu.user_sends_sticker(USER)
    video_in = emu.user_sends_video(USER, b"video-bytes", caption="Видео")
    doc_in = emu.user_sends_document(USER, b"text", "note.txt", "text/plain")
    updates = await bot.get_updates(timeout=0)
    assert updates[-3].message.sticker.file_unique_id == incoming["sticker"]["file_unique_id"]
    assert updates[-2].message.caption == "Видео"
    assert updates[-2].message.video.file_id == video_in["video"]["file_id"]
    assert updates[-1].message.document.file_name == "note.txt"
    assert emu.file_bytes(doc_in["document"]["file_id"]) == b"text"
