"""The OK emulator's Bot API for group messages refuses what OK refuses (an unknown chat or
token, an empty or too long text), keeps what the group sends, and delivers webhooks again
until one is answered 200; the desk's adapter reads and sorts them, and reads the chats back
page by page (the catch-up)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.ports import PublishError
from emulators.common import Fault
from emulators.ok import OKEmulator
from emulators.ok.graph import TEXT_LIMIT
from networks import ok_dialogs
from networks.ok_dialogs import OKDialogs

GID = "70000000000001"
UID = "575000000001"


@pytest.fixture
async def ok() -> AsyncIterator[OKEmulator]:
    emu = OKEmulator()
    await emu.start()
    emu.add_group(GID, "Группа")
    emu.add_user(UID, "Пётр", "Соколов")
    yield emu
    await emu.stop()


async def test_sends_are_validated_and_kept(ok: OKEmulator) -> None:
    token = ok.bot_api.issue_bot_token(GID)
    dialogs = OKDialogs(ok.graph_url, token, GID, timeout=5)
    wrong = OKDialogs(ok.graph_url, "tkn1-not-a-token", GID, timeout=5)
    try:
        ok.bot_api.citizen_writes(GID, UID, "Вопрос")
        chat = ok.bot_api.chat_of(GID, UID)["chat_id"]
        sent = await dialogs.reply("message", chat, "Ответ", "reply-1")
        assert sent.url == f"https://ok.ru/group/{GID}/messages"
        assert [m["message"]["text"] for m in ok.bot_api.messages(GID, UID)] == ["Ответ"]
        with pytest.raises(PublishError) as unknown:
            await dialogs.reply("message", "chat:Cnothere", "Ответ", "reply-2")
        assert unknown.value.kind == "rejected" and "чата" in unknown.value.message
        with pytest.raises(PublishError) as refused:
            await wrong.reply("message", chat, "Ответ", "reply-3")
        assert refused.value.kind == "auth"
        with pytest.raises(PublishError):
            await dialogs.reply("message", chat, "   ", "reply-4")
        with pytest.raises(PublishError):
            await dialogs.reply("message", chat, "я" * (TEXT_LIMIT + 1), "reply-5")
        # the emulator itself refuses what the adapter would never send
        session = dialogs._session
        assert session is not None
        url = f"{ok.graph_url}/me/messages/{chat}"
        for text in ("", "я" * (TEXT_LIMIT + 1)):
            body = {"recipient": {"chat_id": chat}, "message": {"text": text}}
            async with session.post(url, params={"access_token": token}, json=body) as response:
                assert (await response.json())["error_code"] == 100
        assert len(ok.bot_api.messages(GID, UID)) == 1
        # a person who never allowed the group's messages gets none
        with pytest.raises(PublishError) as closed:
            await dialogs.reply("comment", "user:575000000777", "Ответ", "reply-6")
        assert "не разрешил" in closed.value.message
        await dialogs.reply("comment", f"user:{UID}", "Ответ на комментарий", "reply-7")
        assert ok.bot_api.messages(GID, UID)[-1]["message"]["text"] == "Ответ на комментарий"
    finally:
        await dialogs.close()
        await wrong.close()


async def test_webhooks_are_sent_again_until_answered_and_parsed(ok: OKEmulator) -> None:
    token = ok.bot_api.issue_bot_token(GID)
    dialogs = OKDialogs(ok.graph_url, token, GID, timeout=5)
    answers = [500, 200]
    got: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(status=answers.pop(0))

    app = web.Application()
    app.add_routes([web.post("/hook", hook)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await dialogs.subscribe(f"http://127.0.0.1:{port}/hook")
        assert await dialogs.subscribe(f"http://127.0.0.1:{port}/hook")  # kept once
        assert len(ok.bot_api.subscriptions[GID]) == 1
        ok.bot_api.citizen_writes(GID, UID, "Когда починят фонари?")
        await ok.wait_until(lambda: len(got) == 2, timeout=10)
        assert got[0] == got[1]  # the same update again after the 500
        message = dialogs.parse(got[0])
        assert message is not None and message.author_id == int(UID)
        assert message.text == "Когда починят фонари?" and message.author_name == "Пётр Соколов"
        assert message.thread_ref == ok.bot_api.chat_of(GID, UID)["chat_id"]
        ok.bot_api.moderator_writes(GID, UID, "Здравствуйте")
        assert dialogs.parse(ok.bot_api.chat_of(GID, UID)["messages"][-1]) is None
        wrong = OKDialogs(ok.graph_url, "tkn1-wrong", GID, 5)
        assert not await wrong.subscribe("http://127.0.0.1:1/never")
        await wrong.close()
    finally:
        await dialogs.close()
        await runner.cleanup()


async def test_the_chats_are_read_back_page_by_page_since_a_moment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_000.0]
    ok = OKEmulator(clock=lambda: now[0])
    await ok.start()
    ok.add_group(GID, "Группа")
    monkeypatch.setattr(ok_dialogs, "CHATS_PAGE", 2)
    monkeypatch.setattr(ok_dialogs, "PAGE", 5)
    dialogs = OKDialogs(ok.graph_url, ok.bot_api.issue_bot_token(GID), GID, timeout=5)

    def write(uid: str, text: str) -> None:
        now[0] += 1
        ok.bot_api.citizen_writes(GID, uid, text)

    try:
        write("575000000004", "давно, до чтения")  # a chat quiet since: never read
        write("575000000003", "тоже давно")
        since = datetime.fromtimestamp(now[0] + 1, UTC)
        for n in range(12):
            write(UID, f"сообщение {n}")
            if n == 5:
                ok.bot_api.moderator_writes(GID, UID, "ответ группы")  # not the citizen's
                write("575000000002", "второй житель")
        write("575000000003", "снова пишет")
        missed = await dialogs.missed(since)
        texts = [m.text for m in missed]
        assert texts[:6] == [f"сообщение {n}" for n in range(6)]  # oldest first, across chats
        assert texts[6:] == ["второй житель"] + [f"сообщение {n}" for n in range(6, 12)] + [
            "снова пишет"
        ]
        assert len({m.external_id for m in missed}) == len(missed)
        chats_read = [q for name, q in ok.requests if name == "graph /graph/me/chats"]
        assert len(chats_read) == 2  # the second page ends at a chat quiet since `since`
        quiet = ok.bot_api.chat_of(GID, "575000000004")["chat_id"]
        assert f"graph /graph/me/messages/{quiet}" not in {name for name, _ in ok.requests}
        # a chat gone between the listing and its read is skipped, the others are read
        now[0] += 1  # a new second for the emulator's rate window
        ok.bot_api.faults.add(Fault("graph.chat.messages", "error", code=300))
        assert [m.text for m in await dialogs.missed(since)] == texts[:-1]
        wrong = OKDialogs(ok.graph_url, "tkn1-wrong", GID, 5)
        with pytest.raises(PublishError) as refused:
            await wrong.missed(since)
        assert refused.value.kind == "auth"
        await wrong.close()
    finally:
        await dialogs.close()
        await ok.stop()
