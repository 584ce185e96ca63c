"""The emulators take video and documents the way the real services do (issue 11), driven
through the desk's own adapters and raw calls: VK's video.save / docs upload flows, OK's video
upload, Telegram's photo rules; what the services refuse, the emulators refuse."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from vkbottle import API
from vkbottle.http import AiohttpClient

from bot.content import MediaItem
from bot.domain import MediaKind
from bot.ports import UPLOAD_PART, OutgoingPost, Published, PublishError
from emulators.ok import OKEmulator
from emulators.telegram import TelegramEmulator
from emulators.vk import VKEmulator
from emulators.vk.methods_misc import USER_BITS, USER_SCOPE
from networks.ok import OKGroup
from networks.ok_api import OKApi, OKCallError
from networks.vk_wall import VKWall

GROUP = 1
ADMIN = 10
VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"frames" * 20
PDF = b"%PDF-1.7\n" + b"x" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg" * 20


def item(tmp_path: Path, kind: MediaKind, name: str, data: bytes, mime: str) -> MediaItem:
    path = tmp_path / name
    path.write_bytes(data)
    return MediaItem(kind, name, mime, path)


@pytest.fixture
async def vk() -> AsyncIterator[VKEmulator]:
    emu = VKEmulator()
    emu.user_rps = 10_000
    emu.add_group(GROUP, "Администрация")
    emu.add_user(ADMIN, "Анна", "Редактор")
    await emu.start()
    yield emu
    await emu.stop()


def vk_api(emu: VKEmulator, token: str) -> API:
    api = API(token, http_client=AiohttpClient())
    api.API_URL = emu.base_url + "/method/"
    return api


async def test_vk_wall_post_with_a_video_and_a_document(vk: VKEmulator, tmp_path: Path) -> None:
    wall = VKWall(vk_api(vk, vk.issue_user_token(ADMIN, admin_of=[GROUP])), GROUP, timeout=5)
    video = item(tmp_path, MediaKind.video, "ролик.mp4", VIDEO, "video/mp4")
    doc = item(tmp_path, MediaKind.document, "план.pdf", PDF, "application/pdf")
    try:
        published = await wall.publish(OutgoingPost(1, "Текст", (video, doc)))
    finally:
        await wall.close()
    [post] = vk.wall_posts(-GROUP)
    assert published.url == f"https://vk.com/wall-{GROUP}_{post['id']}"
    kinds = [a["type"] for a in post["attachments"]]
    assert kinds == ["video", "doc"]
    v, d = post["attachments"][0]["video"], post["attachments"][1]["doc"]
    assert vk.video_bytes(v["owner_id"], v["id"]) == VIDEO and v["owner_id"] == -GROUP
    assert vk.doc_bytes(d["owner_id"], d["id"]) == PDF and d["title"] == "план.pdf"
    assert [m for m, _ in vk.requests if m in ("video.save", "docs.save")] == [
        "video.save",
        "docs.save",
    ]


async def test_a_retried_wall_post_does_not_upload_the_files_again(
    vk: VKEmulator, tmp_path: Path
) -> None:
    wall = VKWall(vk_api(vk, vk.issue_user_token(ADMIN, admin_of=[GROUP])), GROUP, timeout=5)
    video = item(tmp_path, MediaKind.video, "ролик.mp4", VIDEO, "video/mp4")
    doc = item(tmp_path, MediaKind.document, "план.pdf", PDF, "application/pdf")
    vk.inject_fault("wall.post", "error", error_code=100)  # refused once, nothing posted
    kept: dict[str, Published] = {}  # the outbox's parts, as the core writes them down

    async def part_sent(name: str, result: Published) -> None:
        kept[name] = result

    def attempt() -> OutgoingPost:  # each attempt is built from the parts on disk
        return OutgoingPost(
            4, "Текст", (video, doc), key="pressdesk-post-4", sent=dict(kept), on_part=part_sent
        )

    try:
        with pytest.raises(PublishError):
            await wall.publish(attempt())
        assert sorted(kept) == sorted(f"{UPLOAD_PART}{i.path.name}" for i in (video, doc))
        await wall.publish(attempt())
    finally:
        await wall.close()
    [post] = vk.wall_posts(-GROUP)
    assert len(post["attachments"]) == 2
    uploads = [m for m, _ in vk.requests if m in ("video.save", "docs.save")]
    assert uploads == ["video.save", "docs.save"]  # each file went to VK once


async def test_vk_refuses_a_video_that_is_not_one_and_forbidden_documents(
    vk: VKEmulator, tmp_path: Path
) -> None:
    token = vk.issue_user_token(ADMIN, admin_of=[GROUP])
    wall = VKWall(vk_api(vk, token), GROUP, timeout=5)
    fake = item(tmp_path, MediaKind.video, "ролик.mp4", b"plain text\n", "video/mp4")
    exe = item(tmp_path, MediaKind.document, "setup.exe", b"MZ\x90\x00" + b"x" * 50, "x/x")
    text = item(tmp_path, MediaKind.photo, "фото.jpg", b"plain text\n", "image/jpeg")
    try:
        for bad, what in ((fake, "видео «ролик.mp4»"), (exe, "документ «setup.exe»")):
            with pytest.raises(PublishError) as err:
                await wall.publish(OutgoingPost(2, "Текст", (bad,)))
            assert err.value.kind == "rejected" and what in err.value.message
        with pytest.raises(PublishError) as err:  # the upload server kept no photo of it
            await wall.publish(OutgoingPost(3, "Текст", (text,)))
        assert err.value.kind == "rejected" and "VK не принял" in err.value.message
    finally:
        await wall.close()
    assert vk.wall_posts(-GROUP) == []

    # wall.post with a video whose file never came, or with eleven attachments: error 100
    async with aiohttp.ClientSession() as http:

        async def call(method: str, **params: object) -> dict:
            data = {"access_token": token, "v": "5.199", **{k: str(v) for k, v in params.items()}}
            async with http.post(f"{vk.base_url}/method/{method}", data=data) as resp:
                return await resp.json()

        slot = (await call("video.save", group_id=GROUP, name="x"))["response"]
        empty = f"video{slot['owner_id']}_{slot['video_id']}"
        answer = await call("wall.post", owner_id=-GROUP, from_group=1, attachments=empty)
        assert answer["error"]["error_code"] == 100
        many = ",".join([empty] * 11)
        answer = await call("wall.post", owner_id=-GROUP, message="x", attachments=many)
        assert answer["error"]["error_code"] == 100 and "too many" in answer["error"]["error_msg"]


async def test_vk_video_and_docs_need_their_rights(vk: VKEmulator) -> None:
    narrow = USER_SCOPE & ~USER_BITS["video"] & ~USER_BITS["docs"]
    token = vk.issue_user_token(ADMIN, admin_of=[GROUP], scope=narrow)
    data = {"access_token": token, "v": "5.199", "group_id": str(GROUP)}
    async with aiohttp.ClientSession() as http:
        for method in ("video.save", "docs.getWallUploadServer"):
            async with http.post(f"{vk.base_url}/method/{method}", data=data) as resp:
                body = await resp.json()
            assert body["error"]["error_code"] == 15, method


@pytest.fixture
async def ok() -> AsyncIterator[tuple[OKEmulator, OKApi]]:
    emu = OKEmulator()
    await emu.start()
    emu.add_group("7001", "Группа")
    key, secret = emu.add_app()
    api = OKApi(emu.api_url, emu.issue_token(key, ["7001"]), key, secret, timeout=5)
    yield emu, api
    await api.close()
    await emu.stop()


async def test_ok_topic_with_a_video(ok: tuple[OKEmulator, OKApi], tmp_path: Path) -> None:
    emu, api = ok
    group = OKGroup(api, "7001")
    video = item(tmp_path, MediaKind.video, "ролик.mp4", VIDEO, "video/mp4")
    doc = item(tmp_path, MediaKind.document, "план.pdf", PDF, "application/pdf")
    assert any("документы" in p for p in group.check(OutgoingPost(1, "x", (doc,))).problems)
    assert group.check(OutgoingPost(1, "x", (video,))).problems == ()
    published = await group.publish(OutgoingPost(1, "Текст", (video,)))
    [topic] = emu.topics("7001")
    assert published.external_id == topic["id"] and topic["text"] == "Текст"
    [v] = topic["videos"]
    assert emu.video_bytes(v["id"]) == VIDEO


async def test_ok_refuses_a_movie_never_completed_and_a_file_of_another_size(
    ok: tuple[OKEmulator, OKApi],
) -> None:
    emu, api = ok
    slot = await api.call("video.getUploadUrl", gid="7001", file_name="v.mp4", file_size=5)
    with pytest.raises(OKCallError):  # announced 5 bytes, sent more
        await api.upload(slot["upload_url"], [("v.mp4", VIDEO, "video/mp4")], field="data")
    attachment = json.dumps({"media": [{"type": "movie", "list": [{"id": slot["video_id"]}]}]})
    with pytest.raises(OKCallError) as err:
        await api.call("mediatopic.post", gid="7001", type="GROUP_THEME", attachment=attachment)
    assert err.value.code == 100
    # the right size, but the upload never completed with video.update: still refused
    size = len(VIDEO)
    slot = await api.call("video.getUploadUrl", gid="7001", file_name="v.mp4", file_size=size)
    await api.upload(slot["upload_url"], [("v.mp4", VIDEO, "video/mp4")], field="data")
    attachment = json.dumps({"media": [{"type": "movie", "list": [{"id": slot["video_id"]}]}]})
    with pytest.raises(OKCallError, match="not uploaded"):
        await api.call("mediatopic.post", gid="7001", type="GROUP_THEME", attachment=attachment)
    await api.call("video.update", vid=str(slot["video_id"]), title="v.mp4")
    await api.call("mediatopic.post", gid="7001", type="GROUP_THEME", attachment=attachment)
    assert len(emu.topics("7001")) == 1


@pytest.fixture
async def tg() -> AsyncIterator[tuple[TelegramEmulator, Bot]]:
    emu = TelegramEmulator()
    token = "123456789:AAEmulatorTestToken"
    emu.add_bot(token)
    emu.add_user(1001, "Анна", "Петрова", "anna")
    emu.add_channel(-1001000000001, "Новости", "news", discussion_group_id=-1001000000002)
    emu.add_group(-1001000000002, "Обсуждение")
    await emu.start()
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    yield emu, bot
    await bot.session.close()
    await emu.stop()


async def test_telegram_photo_must_be_an_image_of_at_most_10_mb(
    tg: tuple[TelegramEmulator, Bot],
) -> None:
    emu, bot = tg
    channel = -1001000000001
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(channel, BufferedInputFile(b"just text\n", "photo.jpg"))
    big = JPEG + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(channel, BufferedInputFile(big, "big.jpg"))
    sent = await bot.send_document(channel, BufferedInputFile(b"just text\n", "notes.txt"))
    assert sent.document is not None  # any file may go as a document
    sent = await bot.send_photo(channel, BufferedInputFile(JPEG, "ok.jpg"))
    assert sent.photo and emu.file_bytes(sent.photo[-1].file_id) == JPEG
