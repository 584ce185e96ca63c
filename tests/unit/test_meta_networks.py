"""Facebook and Instagram adapters: limits, Graph errors in Russian, usage headers, signed links,
and the Graph emulator's validation, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bot.domain import MediaKind, Network
from bot.ports import MediaItem, OutgoingPost
from emulators.facebook import GraphEmulator
from networks.facebook import FacebookPage
from networks.graph import GraphClient, GraphError, publish_error, usage_pause
from networks.instagram import InstagramAccount
from networks.meta_access import GraphAccess
from networks.public_media import MediaLinks, MediaServer

PAGE, IG = "1500", "1700"


def photo(tmp_path: Path, name: str = "a" * 64, mime: str = "image/jpeg") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8" + name.encode())
    return MediaItem(MediaKind.photo, "p.jpg", mime, path)


def links(base: str = "https://press.example.ru/m", now: float = 1000.0) -> MediaLinks:
    return MediaLinks(base, "secret", 600, clock=lambda: now)


def instagram(base: str = "https://press.example.ru/m") -> InstagramAccount:
    return InstagramAccount(GraphClient("http://127.0.0.1:1/v21.0", "t"), IG, links(base))


def test_instagram_limits(tmp_path: Path) -> None:
    ig = instagram()
    assert any("без фото" in p for p in ig.check(OutgoingPost(1, "текст")).problems)
    one = (photo(tmp_path),)
    assert ig.check(OutgoingPost(1, "текст", one)).problems == ()
    long = ig.check(OutgoingPost(1, "я" * 2201, one)).problems
    assert any("2200" in p for p in long)
    tags = " ".join(f"#тег{i}" for i in range(31))
    assert any("хештегов (сейчас 31)" in p for p in ig.check(OutgoingPost(1, tags, one)).problems)
    assert ig.check(OutgoingPost(1, tags.rsplit(" ", 1)[0], one)).problems == ()
    many = tuple(photo(tmp_path, f"{i:064x}") for i in range(11))
    assert any("не больше 10" in p for p in ig.check(OutgoingPost(1, "", many)).problems)
    png = (photo(tmp_path, "b" * 64, "image/png"),)
    assert any("JPEG" in p for p in ig.check(OutgoingPost(1, "", png)).problems)
    unset = instagram(base="").check(OutgoingPost(1, "", one)).problems
    assert any("public_media" in p for p in unset)


def test_facebook_limits(tmp_path: Path) -> None:
    fb = FacebookPage(GraphClient("http://127.0.0.1:1/v21.0", "t"), PAGE)
    assert fb.check(OutgoingPost(1, "только текст")).problems == ()
    assert any("пустая" in p for p in fb.check(OutgoingPost(1, " ")).problems)
    video = MediaItem(MediaKind.video, "v.mp4", "video/mp4", tmp_path / "v")
    mixed = fb.check(OutgoingPost(1, "x", (photo(tmp_path), video))).problems
    assert any("видео" in p for p in mixed)


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (190, "auth", "истёк или отозван"),
        (10, "auth", "нет нужного разрешения"),
        (200, "auth", "нет нужного разрешения"),
        (4, "temporary", "слишком много запросов"),
        (17, "temporary", "слишком много запросов"),
        (32, "temporary", "слишком много запросов"),
        (613, "temporary", "слишком много запросов"),
        (368, "rejected", "временно запретил публикации"),
        (506, "rejected", "одинаковые публикации"),
        (100, "rejected", "не принял параметры"),
    ],
)
def test_graph_codes_in_plain_russian(code: int, kind: str, words: str) -> None:
    error = publish_error(GraphError(code, "msg", status=400), "Facebook")
    assert error.kind == kind and words in error.message and "Facebook" in error.message


def test_usage_headers() -> None:
    buc = {"1234": [{"type": "pages", "call_count": 97, "estimated_time_to_regain_access": 2}]}
    top, wait = usage_pause({"x-business-use-case-usage": json.dumps(buc)})
    assert (top, wait) == (97, 120.0)
    top, wait = usage_pause({"x-app-usage": json.dumps({"call_count": 12, "total_time": 40})})
    assert (top, wait) == (40, 0.0)
    assert usage_pause({}) == (0, 0.0)


def test_signed_links_expire_and_cannot_be_forged(tmp_path: Path) -> None:
    item = photo(tmp_path)
    url = links().url_for(item)
    name = url.rsplit("/", 1)[1].split("?")[0]
    query = dict(p.split("=") for p in url.split("?")[1].split("&"))
    assert name == "a" * 64 + ".jpg"
    assert links().check(name, query["exp"], query["sig"]) is None
    assert links().check("b" * 64 + ".jpg", query["exp"], query["sig"]) == "bad signature"
    later = str(int(query["exp"]) + 1)
    assert links().check(name, later, query["sig"]) == "bad signature"
    assert links(now=10_000).check(name, query["exp"], query["sig"]) == "link expired"


async def test_media_server_serves_only_signed_links(tmp_path: Path) -> None:
    item = photo(tmp_path)
    server = MediaServer(links("http://x"), lambda sha: tmp_path / sha)
    address = await server.start("127.0.0.1", 0)
    link = links("http://x").url_for(item).replace("http://x", address)
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as ok:
            assert ok.status == 200 and await ok.read() == item.read()
            assert ok.headers["Content-Type"] == "image/jpeg"
        async with http.get(link.replace("sig=", "sig=0")) as forged:
            assert forged.status == 403
        async with http.get(f"{address}/{'a' * 64}.jpg") as bare:
            assert bare.status == 403
    await server.stop()


@pytest.fixture
async def graph() -> GraphEmulator:
    emu = GraphEmulator()
    await emu.start()
    emu.add_page(PAGE, "Страница", IG, "office")
    yield emu
    await emu.stop()


async def test_emulator_validates_like_graph(graph: GraphEmulator) -> None:
    token = graph.issue_token(PAGE)
    client = GraphClient(f"{graph.base_url}/v21.0", token)
    with pytest.raises(GraphError) as missing:
        await client.post(f"{PAGE}/feed", {})
    assert missing.value.code == 100 and "message" in missing.value.message
    with pytest.raises(GraphError) as edge:
        await client.get(f"{PAGE}/nonsense")
    assert edge.value.code == 100 and "nonexisting field (nonsense)" in edge.value.message
    with pytest.raises(GraphError) as gone:
        await client.get("999999")
    assert gone.value.gone
    graph.expire_token(token)
    with pytest.raises(GraphError) as expired:
        await client.get(PAGE)
    assert expired.value.code == 190 and expired.value.kind == "auth"
    await client.close()


async def test_appsecret_proof_is_required_when_the_app_says_so(graph: GraphEmulator) -> None:
    graph.app_secret = "app-secret"
    token = graph.issue_token(PAGE)
    bare = GraphClient(f"{graph.base_url}/v21.0", token)
    with pytest.raises(GraphError, match="appsecret_proof"):
        await bare.get(PAGE)
    proved = GraphClient(f"{graph.base_url}/v21.0", token, app_secret="app-secret")
    assert (await proved.get(PAGE, fields="id,name"))["name"] == "Страница"
    await bare.close()
    await proved.close()


async def test_a_replaced_token_is_checked_first_then_sent_with_its_own_proof(
    graph: GraphEmulator,
) -> None:
    graph.app_secret = "app-secret"
    old, new = graph.issue_token(PAGE), graph.issue_token(PAGE)
    client = GraphClient(f"{graph.base_url}/v21.0", old, app_secret="app-secret")
    access = GraphAccess(Network.facebook, client, old, PAGE, moderation=False)
    graph.expire_token(old)
    assert [p.fatal for p in await access.check_access()] == [True]
    assert [p.fatal for p in await access.try_token("EAAG" + "0" * 48)] == [True]
    assert await access.try_token(new) == []  # a trial client: nothing swapped yet
    assert [p.fatal for p in await access.check_access()] == [True]
    access.use_token(new)
    assert await access.check_access() == []
    assert (await client.get(PAGE, fields="id,name"))["name"] == "Страница"  # proof re-derived
    await client.close()


async def test_quota_and_unreachable_media(graph: GraphEmulator, tmp_path: Path) -> None:
    token = graph.issue_token(PAGE)
    ig = InstagramAccount(
        GraphClient(f"{graph.base_url}/v21.0", token),
        IG,
        links("http://127.0.0.1:9"),  # nobody serves the media there
        poll_seconds=0.02,
        wait_seconds=5,
    )
    post = OutgoingPost(7, "Подпись", (photo(tmp_path),))
    with pytest.raises(Exception) as refused:
        await ig.publish(post)
    assert refused.value.kind == "rejected" and "публичной ссылке" in refused.value.message
    assert graph.fetches and graph.fetches[0][1] == 0
    graph.ig_post(IG, "сделано в приложении")
    graph.quota_total = 1
    with pytest.raises(Exception) as quota:
        await ig.publish(OutgoingPost(8, "Подпись", (photo(tmp_path),)))
    assert "лимит публикаций" in quota.value.message
    assert [m["caption"] for m in graph.ig_media(IG)] == ["сделано в приложении"]
    await ig.close()


async def test_rate_limit_header_pauses_the_client(graph: GraphEmulator) -> None:
    token = graph.issue_token(PAGE)
    now = [0.0]
    client = GraphClient(f"{graph.base_url}/v21.0", token, clock=lambda: now[0], timeout=5)
    graph.usage_percent, graph.regain_minutes = 100, 10
    await client.get(PAGE)
    assert client.paused_until == 600.0
    with pytest.raises(GraphError) as waiting:
        await client.get(PAGE)  # ten minutes is longer than a request may wait
    assert waiting.value.kind == "temporary" and waiting.value.retry_after == 600.0
    calls = len(graph.requests)
    assert calls == 1  # the second call never reached Meta
    await client.close()


async def test_a_lost_answer_is_uncertain_and_find_existing_looks(
    graph: GraphEmulator, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    token = graph.issue_token(PAGE)
    fb = FacebookPage(GraphClient(f"{graph.base_url}/v21.0", token), PAGE)
    post = OutgoingPost(3, "Текст публикации")
    since = datetime.now(UTC) - timedelta(minutes=1)
    graph.inject_fault("html", 1, path="/feed", method="POST")
    with pytest.raises(Exception) as lost:
        await fb.publish(post)
    assert lost.value.kind == "uncertain"
    assert await fb.find_existing(post, since) is None  # the proxy's page: nothing was posted
    graph.inject_fault("5xx", 1, path="/feed", method="POST")
    with pytest.raises(Exception) as transient:
        await fb.publish(post)
    assert transient.value.kind == "temporary"  # Graph's code 2 says: not done, retry
    published = await fb.publish(post)
    found = await fb.find_existing(post, since)
    assert found is not None and found.external_id == published.external_id
    await fb.close()
