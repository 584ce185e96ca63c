"""End-to-end checks of the VK emulator through the real vkbottle client over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from vkbottle import API, Bot, GroupEventType, GroupTypes, VKAPIError
from vkbottle.api.request_rescheduler import BlockingRequestRescheduler
from vkbottle.http import AiohttpClient
from vkbottle.tools import PhotoMessageUploader, PhotoWallUploader
from vkbottle_types.events.bot_events import MessageNew

from emulators.vk import VKEmulator

GROUP = 1
ADMIN = 10
CITIZEN = 20
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000030806000000b9eade81"
    "0000000d49444154789c63f8ffff3f0300050001ff5b6e1e0000000049454e44ae426082"
)


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[VKEmulator]:
    emulator = VKEmulator(clock=clock)
    # The clock is frozen, so functional tests lift VK's limits; the rate test restores them.
    emulator.user_rps = emulator.group_rps = 10_000
    emulator.add_group(GROUP, "Администрация города", "gorod")
    emulator.add_user(ADMIN, "Анна", "Редактор")
    emulator.add_user(CITIZEN, "Иван", "Житель")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def apis(emu: VKEmulator) -> AsyncIterator[dict[str, API]]:
    """vkbottle API objects for an admin user, a plain user and the community."""
    tokens = {
        "admin": emu.issue_user_token(ADMIN, admin_of=[GROUP]),
        "citizen": emu.issue_user_token(CITIZEN),
        "group": emu.issue_group_token(GROUP),
    }
    made = {}
    for name, token in tokens.items():
        api = API(token, http_client=AiohttpClient())
        api.API_URL = emu.base_url + "/method/"
        made[name] = api
    yield made
    for api in made.values():
        await api.http_client.close()


async def raw_call(emu: VKEmulator, method: str, **params: object) -> dict:
    """A bare HTTP call, for answers vkbottle would turn into exceptions or retries."""
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/method/{method}"
        async with session.post(url, data={k: str(v) for k, v in params.items()}) as resp:
            assert resp.status == 200
            return await resp.json()


async def make_post(api: API, text: str = "Новость") -> int:
    answer = await api.wall.post(owner_id=-GROUP, from_group=True, message=text)
    return answer.post_id


async def test_wall_post_needs_user_token(emu: VKEmulator, apis: dict[str, API]) -> None:
    with pytest.raises(VKAPIError) as exc:
        await apis["group"].wall.post(owner_id=-GROUP, from_group=True, message="x")
    assert exc.value.code == 27
    assert "method is unavailable with group auth" in exc.value.error_msg
    assert emu.wall_posts(-GROUP) == []

    post_id = await make_post(apis["admin"], "Ремонт дороги")
    [post] = emu.wall_posts(-GROUP)
    assert (post["id"], post["text"], post["from_id"]) == (post_id, "Ремонт дороги", -GROUP)

    with pytest.raises(VKAPIError) as exc:
        await apis["citizen"].wall.post(owner_id=-GROUP, message="x")
    assert exc.value.code == 214


async def test_guid_returns_same_post(emu: VKEmulator, apis: dict[str, API]) -> None:
    api = apis["admin"]
    first = await api.wall.post(owner_id=-GROUP, from_group=True, message="a", guid="g-1")
    second = await api.wall.post(owner_id=-GROUP, from_group=True, message="a", guid="g-1")
    assert first.post_id == second.post_id
    assert len(emu.wall_posts(-GROUP)) == 1
    third = await api.wall.post(owner_id=-GROUP, from_group=True, message="a", guid="g-2")
    assert third.post_id != first.post_id


async def test_message_too_long_and_postponed(
    emu: VKEmulator, apis: dict[str, API], clock: FakeClock
) -> None:
    with pytest.raises(VKAPIError) as exc:
        await apis["admin"].wall.post(owner_id=-GROUP, from_group=True, message="я" * 16385)
    assert exc.value.code == 100
    later = int(clock.now) + 3600
    await apis["admin"].wall.post(owner_id=-GROUP, from_group=True, message="x", publish_date=later)
    assert [p["post_type"] for p in emu.wall_posts(-GROUP)] == ["postpone"]
    clock.now = later + 1
    assert [p["post_type"] for p in emu.wall_posts(-GROUP)] == ["post"]


async def test_photo_upload_end_to_end(emu: VKEmulator, apis: dict[str, API]) -> None:
    api = apis["admin"]
    attachment = await PhotoWallUploader(api).upload(PNG, group_id=GROUP)
    assert attachment.startswith(f"photo-{GROUP}_")
    await api.wall.post(owner_id=-GROUP, from_group=True, message="", attachments=[attachment])
    [post] = emu.wall_posts(-GROUP)
    [att] = post["attachments"]
    photo = att["photo"]
    assert att["type"] == "photo" and photo["sizes"][0]["width"] == 2
    assert emu.photo_bytes(photo["owner_id"], photo["id"]) == PNG
    async with aiohttp.ClientSession() as session:
        async with session.get(photo["sizes"][0]["url"]) as resp:
            assert await resp.read() == PNG


async def test_basic_errors(emu: VKEmulator, apis: dict[str, API]) -> None:
    with pytest.raises(VKAPIError) as exc:
        await apis["admin"].request("wall.noSuchMethod", {})
    assert exc.value.code == 3
    with pytest.raises(VKAPIError) as exc:
        await apis["admin"].request("wall.getComment", {"owner_id": -GROUP})
    assert exc.value.code == 100
    assert exc.value.error_msg.endswith("comment_id is missing")

    answer = await raw_call(emu, "users.get", access_token="nope", v="5.199")
    assert answer["error"]["error_code"] == 5
    assert answer["error"]["request_params"][0] == {"key": "method", "value": "users.get"}
    answer = await raw_call(emu, "users.get", access_token="nope")
    assert answer["error"]["error_code"] == 8


async def test_get_comments_paging(emu: VKEmulator, apis: dict[str, API]) -> None:
    post_id = await make_post(apis["admin"])
    for i in range(150):
        emu.post_comment(-GROUP, post_id, CITIZEN, f"c{i}", emit=False)
    api = apis["admin"]
    seen: list[str] = []
    offset = 0
    while True:
        page = await api.request(
            "wall.getComments",
            {"owner_id": -GROUP, "post_id": post_id, "count": 100, "offset": offset},
        )
        items = page["response"]["items"]
        if not items:
            break
        seen += [c["text"] for c in items]
        offset += len(items)
    assert seen == [f"c{i}" for i in range(150)]

    desc = await api.wall.get_comments(owner_id=-GROUP, post_id=post_id, count=2, sort="desc")
    assert [c.text for c in desc.items] == ["c149", "c148"]
    with pytest.raises(VKAPIError) as exc:
        await api.wall.get_comments(owner_id=-GROUP, post_id=post_id, count=101)
    assert exc.value.code == 100
    with pytest.raises(VKAPIError) as exc:
        await apis["group"].wall.get_comments(owner_id=-GROUP, post_id=post_id)
    assert exc.value.code == 27


async def test_threads_and_counts(emu: VKEmulator, apis: dict[str, API]) -> None:
    post_id = await make_post(apis["admin"])
    root = emu.post_comment(-GROUP, post_id, CITIZEN, "root", emit=False)
    reply = emu.post_comment(-GROUP, post_id, ADMIN, "r1", reply_to_comment=root["id"])
    emu.post_comment(-GROUP, post_id, CITIZEN, "r2", reply_to_comment=reply["id"])
    page = (
        await apis["admin"].request(
            "wall.getComments",
            {"owner_id": -GROUP, "post_id": post_id, "thread_items_count": 10, "extended": 1},
        )
    )["response"]
    assert (page["count"], page["current_level_count"]) == (3, 1)
    assert [c["text"] for c in page["items"][0]["thread"]["items"]] == ["r1", "r2"]
    assert {p["id"] for p in page["profiles"]} == {ADMIN, CITIZEN}
    thread = await apis["admin"].wall.get_comments(owner_id=-GROUP, comment_id=root["id"])
    assert [c.text for c in thread.items] == ["r1", "r2"]


def _get_comments_code(post_id: int, calls: int) -> str:
    call = f'API.wall.getComments({{owner_id: -{GROUP}, "post_id": {post_id}, "count": 100}})'
    return "return [" + ", ".join([call] * calls) + "];"


async def test_execute(emu: VKEmulator, apis: dict[str, API]) -> None:
    post_id = await make_post(apis["admin"])
    emu.post_comment(-GROUP, post_id, CITIZEN, "привет", emit=False)
    api = apis["admin"]
    before = len(emu.requests)
    answer = await api.request("execute", {"code": _get_comments_code(post_id, 25)})
    assert len(answer["response"]) == 25
    assert answer["response"][24]["items"][0]["text"] == "привет"
    assert len(emu.requests) == before + 1  # one HTTP request however many calls inside

    with pytest.raises(VKAPIError) as exc:
        await api.request("execute", {"code": _get_comments_code(post_id, 26)})
    assert exc.value.code == 13
    assert "Too many API calls" in exc.value.error_msg

    code = f'var a = API.wall.getById({{posts: "-{GROUP}_{post_id}"}}); return a.items[0].text;'
    assert (await api.request("execute", {"code": code}))["response"] == "Новость"

    # Inner calls are checked like outer ones: a community token may not read comments.
    answer = await apis["group"].request("execute", {"code": _get_comments_code(post_id, 1)})
    assert answer["response"] == [False]
    assert answer["execute_errors"][0]["error_code"] == 27


async def test_rate_limit(emu: VKEmulator, apis: dict[str, API], clock: FakeClock) -> None:
    assert (VKEmulator().user_rps, VKEmulator().group_rps) == (3, 20)
    emu.user_rps, emu.group_rps = 3, 20
    token = emu.issue_user_token(CITIZEN)
    codes = []
    for _ in range(4):
        answer = await raw_call(emu, "users.get", access_token=token, v="5.199")
        codes.append(answer.get("error", {}).get("error_code"))
    assert codes == [None, None, None, 6]
    clock.now += 1.0
    assert "response" in await raw_call(emu, "users.get", access_token=token, v="5.199")

    # vkbottle does not retry error 6: it raises it to the caller.
    api = apis["citizen"]
    with pytest.raises(VKAPIError) as exc:
        for _ in range(4):
            await api.users.get()
    assert exc.value.code == 6

    group_token = emu.issue_group_token(GROUP)
    answers = [
        await raw_call(emu, "groups.getById", access_token=group_token, v="5.199")
        for _ in range(21)
    ]
    assert ["error" in a for a in answers] == [False] * 20 + [True]


async def test_delete_comment(emu: VKEmulator, apis: dict[str, API]) -> None:
    post_id = await make_post(apis["admin"])
    comment = emu.post_comment(-GROUP, post_id, CITIZEN, "спам")
    with pytest.raises(VKAPIError) as exc:
        await apis["group"].wall.delete_comment(owner_id=-GROUP, comment_id=comment["id"])
    assert exc.value.code == 27
    assert emu.comments(-GROUP, post_id)[0]["deleted"] is False

    assert await apis["admin"].wall.delete_comment(owner_id=-GROUP, comment_id=comment["id"]) == 1
    assert emu.comments(-GROUP, post_id) == []
    [gone] = emu.comments(-GROUP, post_id, include_deleted=True)
    assert gone["deleted"] is True
    page = await apis["admin"].wall.get_comments(owner_id=-GROUP, post_id=post_id)
    assert page.count == 0

    await apis["admin"].wall.restore_comment(owner_id=-GROUP, comment_id=comment["id"])
    assert [c["text"] for c in emu.comments(-GROUP, post_id)] == ["спам"]


async def test_ban(emu: VKEmulator, apis: dict[str, API]) -> None:
    with pytest.raises(VKAPIError) as exc:
        await apis["group"].groups.ban(group_id=GROUP, owner_id=CITIZEN)
    assert exc.value.code == 27
    await apis["admin"].groups.ban(group_id=GROUP, owner_id=CITIZEN, comment="спам")
    assert emu.banned(GROUP) == [CITIZEN]
    await apis["admin"].groups.unban(group_id=GROUP, owner_id=CITIZEN)
    assert emu.banned(GROUP) == []


async def test_a_banned_author_cannot_comment_on_the_wall(
    emu: VKEmulator, apis: dict[str, API]
) -> None:
    """As on VK: once the community blacklists someone, their comments are refused (213, and
    the page's control API says why), until they are unbanned."""
    post_id = (
        await apis["admin"].wall.post(owner_id=-GROUP, from_group=True, message="Новость")
    ).post_id
    await apis["citizen"].wall.create_comment(owner_id=-GROUP, post_id=post_id, message="до бана")
    await apis["admin"].groups.ban(group_id=GROUP, owner_id=CITIZEN, comment="спам")
    with pytest.raises(VKAPIError) as refused:
        await apis["citizen"].wall.create_comment(owner_id=-GROUP, post_id=post_id, message="ещё")
    assert refused.value.code == 213
    with pytest.raises(PermissionError):
        emu.post_comment(-GROUP, post_id, CITIZEN, "и через страницу")
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/_emu/walls/{-GROUP}/{post_id}/comments"
        async with session.post(url, json={"from_id": CITIZEN, "text": "и снова"}) as answer:
            assert answer.status == 403
            assert "чёрном списке" in (await answer.json())["error"]
    assert [c["text"] for c in emu.comments(-GROUP, post_id)] == ["до бана"]
    await apis["admin"].groups.unban(group_id=GROUP, owner_id=CITIZEN)
    await apis["citizen"].wall.create_comment(owner_id=-GROUP, post_id=post_id, message="после")
    assert [c["text"] for c in emu.comments(-GROUP, post_id)] == ["до бана", "после"]


async def test_long_poll_with_vkbottle_bot(
    emu: VKEmulator, apis: dict[str, API], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.chdir(tmp_path)  # BotPolling keeps its ts in ./.vkbottle
    post_id = await make_post(apis["admin"])
    bot = Bot(api=apis["group"])
    bot.polling.wait = 2
    got: list[str] = []
    messages: list[str] = []
    both = asyncio.Event()

    @bot.on.raw_event(GroupEventType.WALL_REPLY_NEW, dataclass=GroupTypes.WallReplyNew)
    async def on_reply(event: GroupTypes.WallReplyNew) -> None:
        got.append(event.object.text)
        if messages:
            both.set()

    @bot.on.raw_event(GroupEventType.MESSAGE_NEW, dataclass=MessageNew)
    async def on_message(event: MessageNew) -> None:
        assert event.object.message is not None
        messages.append(event.object.message.text)
        if got:
            both.set()

    task = asyncio.create_task(bot.run_polling())
    try:
        # The bot holds a long poll request once it has its server; then a citizen comments.
        await emu.wait_until(lambda: any(m == "groups.getLongPollServer" for m, _ in emu.requests))
        emu.post_comment(-GROUP, post_id, CITIZEN, "Когда починят дорогу?")
        emu.user_sends_message(CITIZEN, GROUP, "Здравствуйте")
        await asyncio.wait_for(both.wait(), 5)
        assert got == ["Когда починят дорогу?"]
        assert messages == ["Здравствуйте"]
    finally:
        bot.polling.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_raw_long_poll_failures(emu: VKEmulator, apis: dict[str, API]) -> None:
    server = (await apis["group"].groups.get_long_poll_server(group_id=GROUP)).model_dump()
    post_id = await make_post(apis["admin"])  # wall_post_new
    async with aiohttp.ClientSession() as session:

        async def check(**params: object) -> dict:
            query = {"act": "a_check", "key": server["key"], "wait": 0, **params}
            async with session.get(server["server"], params=query) as resp:
                return await resp.json()

        first = await check(ts=server["ts"])
        assert [u["type"] for u in first["updates"]] == ["wall_post_new"]
        update = first["updates"][0]
        assert update["object"]["id"] == post_id and update["v"] == "5.199"
        assert (await check(ts=int(first["ts"]) + 5))["failed"] == 1
        assert (await check(ts="x"))["failed"] == 3
        emu.expire_longpoll_key(GROUP)
        assert (await check(ts=first["ts"]))["failed"] == 2


async def test_messages(emu: VKEmulator, apis: dict[str, API]) -> None:
    api = apis["group"]
    with pytest.raises(VKAPIError) as exc:
        await api.messages.send(peer_id=CITIZEN, message="hi", random_id=1)
    assert exc.value.code == 901  # the citizen never wrote to the community
    emu.user_sends_message(CITIZEN, GROUP, "Здравствуйте")
    with pytest.raises(VKAPIError) as exc:
        await api.request("messages.send", {"peer_id": CITIZEN, "message": "hi"})
    assert exc.value.code == 100  # random_id is required
    first = await api.messages.send(peer_id=CITIZEN, message="Ответ", random_id=77)
    again = await api.messages.send(peer_id=CITIZEN, message="Ответ", random_id=77)
    assert first == again
    assert [m["text"] for m in emu.sent_messages(CITIZEN)] == ["Ответ"]
    await api.messages.edit(peer_id=CITIZEN, message_id=first, message="Исправлено")
    assert emu.sent_messages(CITIZEN)[0]["text"] == "Исправлено"


async def test_photos_in_messages_and_an_edit_keeps_only_what_it_passes(
    emu: VKEmulator, apis: dict[str, API]
) -> None:
    api = apis["group"]
    emu.user_sends_message(CITIZEN, GROUP, "Здравствуйте")
    photo = await PhotoMessageUploader(api).upload(PNG, peer_id=CITIZEN)
    assert photo.startswith(f"photo-{GROUP}_")
    sent = await api.messages.send(peer_id=CITIZEN, message="С фото", attachment=photo, random_id=5)
    [att] = emu.sent_messages(CITIZEN)[0]["attachments"]
    assert att["type"] == "photo" and emu.photo_bytes(-GROUP, att["photo"]["id"]) == PNG
    [read] = (await api.request("messages.getById", {"message_ids": sent}))["response"]["items"]
    assert read["attachments"] == [att]
    for refused in (",".join([photo] * 11), f"photo-{GROUP}_999", "photo1_x"):
        with pytest.raises(VKAPIError) as exc:  # more than 10, an unknown one, not a photo
            await api.messages.send(peer_id=CITIZEN, attachment=refused, random_id=6)
        assert exc.value.code == 100
    await api.request("messages.edit", {"peer_id": CITIZEN, "message_id": sent, "message": "a"})
    assert emu.sent_messages(CITIZEN)[0]["attachments"] == []  # not passed again: gone
    edit = {"peer_id": CITIZEN, "message_id": sent, "message": "b", "attachment": photo}
    await api.request("messages.edit", edit)
    assert emu.sent_messages(CITIZEN)[0]["attachments"] == [att]
    wall = await apis["admin"].request("photos.getWallUploadServer", {})  # not a message's
    url = wall["response"]["upload_url"]
    uploader = PhotoMessageUploader(api)
    uploaded = await uploader.upload_files(url, {"photo": uploader.get_bytes_io(PNG)})
    with pytest.raises(VKAPIError):
        await api.request("photos.saveMessagesPhoto", uploaded)


async def test_unread_dialogues_history_and_reading(emu: VKEmulator, apis: dict[str, API]) -> None:
    api = apis["group"]

    async def conversations(kind: str) -> dict:
        return (await api.request("messages.getConversations", {"filter": kind}))["response"]

    assert (await conversations("unread"))["items"] == []
    first = emu.user_sends_message(CITIZEN, GROUP, "Раз")
    second = emu.user_sends_message(CITIZEN, GROUP, "Два")
    [item] = (await conversations("unread"))["items"]
    conversation = item["conversation"]
    assert conversation["peer"]["id"] == CITIZEN and conversation["unread_count"] == 2
    assert conversation["in_read"] == 0 and item["last_message"]["text"] == "Два"
    history = (await api.request("messages.getHistory", {"peer_id": CITIZEN}))["response"]
    assert [m["text"] for m in history["items"]] == ["Два", "Раз"]  # newest first
    assert [m["conversation_message_id"] for m in history["items"]] == [2, 1]
    rev = {"peer_id": CITIZEN, "rev": 1, "count": 1, "offset": 1}
    [m] = (await api.request("messages.getHistory", rev))["response"]["items"]
    assert m["text"] == "Два"
    read = {"peer_id": CITIZEN, "start_message_id": first["id"]}
    assert (await api.request("messages.markAsRead", read))["response"] == 1
    [item] = (await conversations("unread"))["items"]
    assert item["conversation"]["in_read"] == first["id"]
    assert item["conversation"]["unread_count"] == 1
    await api.request("messages.markAsRead", {"peer_id": CITIZEN, "start_message_id": 1})
    assert (await conversations("unread"))["items"][0]["conversation"]["in_read"] == first["id"]
    await api.request("messages.markAsRead", {"peer_id": CITIZEN, "up_to_cmid": 2})
    assert (await conversations("unread"))["items"] == []
    [item] = (await conversations("all"))["items"]
    assert (
        item["conversation"]["in_read"] == second["id"]
        and "unread_count" not in item["conversation"]
    )
    with pytest.raises(VKAPIError) as exc:
        await api.request("messages.getConversations", {"filter": "nonsense"})
    assert exc.value.code == 100


async def test_injected_faults(emu: VKEmulator, apis: dict[str, API]) -> None:
    token = emu.issue_user_token(CITIZEN)
    emu.inject_fault("users.get", "500")
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/method/users.get"
        async with session.post(url, data={"access_token": token, "v": "5.199"}) as resp:
            assert resp.status == 500
        # vkbottle reschedules a non-JSON answer; with no delay it gets the next, good answer.
        api = apis["citizen"]
        api.request_rescheduler = BlockingRequestRescheduler(delay=0)
        emu.inject_fault("users.get", "500")
        [user] = await api.users.get()
        assert user.id == CITIZEN

        emu.inject_fault("*", "error", error_code=10)
        with pytest.raises(VKAPIError) as exc:
            await api.users.get()
        assert exc.value.code == 10

        emu.inject_fault("users.get", "timeout")
        with pytest.raises(asyncio.TimeoutError):
            await session.post(
                url,
                data={"access_token": token, "v": "5.199"},
                timeout=aiohttp.ClientTimeout(total=0.3),
            )
        async with session.post(url, data={"access_token": token, "v": "5.199"}) as resp:
            assert "response" in await resp.json()


async def test_control_api(emu: VKEmulator, apis: dict[str, API]) -> None:
    post_id = await make_post(apis["admin"])
    queue = emu.subscribe()
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/_emu/walls/{-GROUP}/{post_id}/comments"
        async with session.post(url, json={"from_id": CITIZEN, "text": "с сайта"}) as resp:
            assert resp.status == 200
        async with session.get(f"{emu.base_url}/_emu/walls/{-GROUP}") as resp:
            wall = await resp.json()
    [post] = wall["posts"]
    assert [c["text"] for c in post["comments_list"]] == ["с сайта"]
    change = await asyncio.wait_for(queue.get(), 5)
    assert change["kind"] == "comment"
    assert json.dumps(change)
