"""The OK and MAX emulators refuse what the real services refuse, with their own codes."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulators.max import MaxEmulator
from emulators.ok import OKEmulator
from networks.ok_api import OKApi, OKCallError, OKUnavailable, sign

GID = "70000000000001"


@pytest.fixture
async def ok() -> AsyncIterator[OKEmulator]:
    emu = OKEmulator()
    await emu.start()
    emu.add_group(GID, "Группа")
    yield emu
    await emu.stop()


@pytest.fixture
async def max_emu() -> AsyncIterator[MaxEmulator]:
    emu = MaxEmulator()
    await emu.start()
    yield emu
    await emu.stop()


def test_signature_follows_the_documented_rule() -> None:
    params = {"method": "users.getInfo", "application_key": "CBA", "uids": "1", "format": "json"}
    secret = hashlib.md5(b"tokenSECRET").hexdigest()
    expected = hashlib.md5(
        ("application_key=CBAformat=jsonmethod=users.getInfouids=1" + secret).encode()
    ).hexdigest()
    assert sign(params | {"access_token": "token"}, "token", "SECRET") == expected
    assert sign(params | {"uids": "2"}, "token", "SECRET") != expected


async def test_ok_wrong_signature_unknown_method_and_missing_parameter(ok: OKEmulator) -> None:
    key, secret = ok.add_app()
    token = ok.issue_token(key, admin_of=[GID])
    api = OKApi(ok.api_url, token, key, secret, timeout=5)
    wrong = OKApi(ok.api_url, token, key, "NOT-THE-SECRET", timeout=5)
    try:
        with pytest.raises(OKCallError) as err:
            await wrong.call("photosV2.getUploadUrl", gid=GID)
        assert err.value.code == 104 and "PARAM_SIGNATURE" in err.value.message
        with pytest.raises(OKCallError) as err:
            await api.call("wall.post", gid=GID)
        assert err.value.code == 3
        with pytest.raises(OKCallError) as err:
            await api.call("mediatopic.post", gid=GID, type="GROUP_THEME")
        assert err.value.code == 100 and "attachment" in err.value.message
        ok.revoke(token)
        with pytest.raises(OKCallError) as err:
            await api.call("photosV2.getUploadUrl", gid=GID)
        assert err.value.code == 102
    finally:
        await api.close()
        await wrong.close()


async def test_ok_faults(ok: OKEmulator) -> None:
    key, secret = ok.add_app()
    api = OKApi(ok.api_url, ok.issue_token(key, [GID]), key, secret, timeout=0.5)
    ok.fault_timeout = 2.0
    try:
        ok.inject_fault("photosV2.getUploadUrl", "500")
        with pytest.raises(OKUnavailable):
            await api.call("photosV2.getUploadUrl", gid=GID)
        ok.inject_fault("photosV2.getUploadUrl", "timeout")
        with pytest.raises(OKUnavailable):
            await api.call("photosV2.getUploadUrl", gid=GID)
        # FLOOD_BLOCKED (8) is waited out through networks/ratelimit.py and tried again
        ok.inject_fault("photosV2.getUploadUrl", "429")
        assert (await api.call("photosV2.getUploadUrl", gid=GID))["upload_url"]
        assert api.pace.waited >= 1.0
    finally:
        await api.close()


async def test_max_refuses_a_token_in_the_query_and_a_wrong_one(max_emu: MaxEmulator) -> None:
    token, _ = max_emu.add_bot("Бот", "bot")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{max_emu.base_url}/me", params={"access_token": token}) as r:
            assert r.status == 401 and (await r.json())["code"] == "verify.token"
        async with http.get(f"{max_emu.base_url}/me", headers={"Authorization": "nope"}) as r:
            assert r.status == 401
        async with http.get(f"{max_emu.base_url}/me", headers={"Authorization": token}) as r:
            assert r.status == 200 and (await r.json())["username"] == "bot"


async def test_max_rate_limit_and_injected_faults(max_emu: MaxEmulator) -> None:
    token, _ = max_emu.add_bot("Бот", "bot")
    headers = {"Authorization": token}
    async with aiohttp.ClientSession(headers=headers) as http:
        statuses = []
        for _ in range(35):
            async with http.get(f"{max_emu.base_url}/me") as r:
                statuses.append(r.status)
        assert statuses[:30] == [200] * 30 and 429 in statuses[30:]
        max_emu._windows.clear()
        max_emu.inject_fault("/messages", "500")
        async with http.post(f"{max_emu.base_url}/messages?chat_id=1", json={}) as r:
            assert r.status == 503


async def test_max_channel_comments_follow_the_documented_checks(max_emu: MaxEmulator) -> None:
    """POST /messages/{mid}/comments: an admin bot, text up to 4000, link.type reply only, to a
    comment of this post."""
    token, bot_id = max_emu.add_bot("Бот", "bot")
    other, _ = max_emu.add_bot("Чужой", "other")
    max_emu.add_channel(-70, "Канал", admins=[bot_id])
    async with aiohttp.ClientSession(headers={"Authorization": token}) as http:
        posting = f"{max_emu.base_url}/messages?chat_id=-70"
        async with http.post(posting, json={"text": "Пост"}) as r:
            mid = (await r.json())["message"]["body"]["mid"]
        question = max_emu.post_comment(mid, 501, "Когда починят дорогу?")
        url = f"{max_emu.base_url}/messages/{mid}/comments"
        reply = {"type": "reply", "mid": question["body"]["mid"]}
        for body, status in (
            ({"text": "я" * 4001, "link": reply}, 400),
            ({"text": "Ответ", "link": {"type": "forward", "mid": reply["mid"]}}, 400),
            ({"text": "Ответ", "link": {"type": "reply", "mid": "mid.nothere"}}, 404),
            ({}, 400),
        ):
            async with http.post(url, json=body) as r:
                assert r.status == status, body
        async with http.post(url, json={"text": "Ответ"}, headers={"Authorization": other}) as r:
            assert r.status == 403
        async with http.post(url, json={"text": "Ответ", "link": reply}) as r:
            assert r.status == 200
    [ours] = [c for c in max_emu.comments(mid) if c["sender"]["is_bot"]]
    assert ours["body"]["text"] == "Ответ" and ours["link"]["message"] == question["body"]
