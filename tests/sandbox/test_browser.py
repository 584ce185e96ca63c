"""The sandbox page in real headless Chromium: a report, its approval, publishing, a comment;
and the same from a department head who reports in the VK community's messages.

Needs Debian's `chromium` at /usr/bin/chromium; Playwright drives it and downloads nothing.
Waits are on conditions (Playwright's expect), never fixed sleeps.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Locator, Page, async_playwright, expect

from bot.config import Config, parse_config
from bot.domain import Network
from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID
from sandbox.web import SandboxWeb
from sandbox.world import EDITOR_ID, REPORTER_ID, VK_REPORTER, Sandbox

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
TITLE = "Открытие спортивной площадки в с. Корнилово"
OBSCENE = "Да это пиздец, а не площадка, бля"
VK_TITLE = "День села в Корнилово"


def png(width: int = 320, height: int = 200) -> bytes:
    """A small gradient picture, written by hand so the test needs no imaging library."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x % 256, (y * 2) % 256, 180))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, str]]:
    web = SandboxWeb()
    url = await web.start("127.0.0.1", 0)
    box = Sandbox(Config(), tmp_path, web)
    await box.start()
    yield box, url
    await web.stop()
    await box.stop()


@pytest.fixture
async def page(sandbox: tuple[Sandbox, str]) -> AsyncIterator[Page]:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1680, "height": 1000}, locale="ru-RU"
        )
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


class Shots:
    def __init__(self, page: Page, prefix: str = "sandbox") -> None:
        self.page = page
        self.prefix = prefix
        self.n = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def __call__(self, name: str) -> None:
        self.n += 1
        await self.page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{self.n:02d}-{name}.png"))


def bot_message(page: Page, text: str) -> Locator:
    """The newest bot message in the open chat that contains `text`."""
    return page.locator("#messages .msg.bot", has_text=text).last


async def tap(page: Page, message: Locator, button: str) -> None:
    await message.locator(".ikb-button", has_text=re.compile(f"^{re.escape(button)}$")).click()


async def type_message(page: Page, text: str) -> None:
    await page.fill("#chat-input", text)
    await page.press("#chat-input", "Enter")


def vk_message(page: Page, text: str) -> Locator:
    """The newest community message in the open VK conversation that contains `text`."""
    return page.locator("#vk-messages .vmsg.bot", has_text=text).last


async def vk_tap(message: Locator, button: str) -> None:
    """A callback button under a VK message; it spins until the bot answers the press."""
    target = message.locator(".vk-button", has_text=re.compile(f"^{re.escape(button)}$"))
    await target.click()


async def vk_type(page: Page, text: str) -> None:
    await page.fill("#vk-input", text)
    await page.press("#vk-input", "Enter")
    await expect(page.locator("#vk-messages .vmsg.out", has_text=text).last).to_be_visible()


async def test_report_approve_publish_comment_moderate(
    sandbox: tuple[Sandbox, str], page: Page, tmp_path: Path
) -> None:
    box, url = sandbox
    shot = Shots(page)
    picture = tmp_path / "площадка.png"
    picture.write_bytes(png())

    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    await expect(page.locator(".banner")).to_contain_text("Песочница")
    await shot("loaded")

    # The reporter starts the bot, then reports by typing and tapping.
    await page.click(f'.contact[data-chat="{REPORTER_ID}"]')
    await page.click("#start-button")
    await expect(bot_message(page, "Здравствуйте")).to_be_visible()
    await expect(page.locator("#rkb button", has_text="Сообщить о мероприятии")).to_be_visible()
    await type_message(page, "/report")
    await expect(bot_message(page, "Как оно называется?")).to_be_visible()
    await type_message(page, TITLE)
    await expect(bot_message(page, "Когда оно прошло?")).to_be_visible()
    await page.locator("#rkb button", has_text="Сегодня").click()
    await expect(bot_message(page, "Где?")).to_be_visible()
    await type_message(page, "с. Корнилово, ул. Школьная, 12")
    await expect(bot_message(page, "Коротко опишите")).to_be_visible()
    await type_message(page, "Площадку открыли глава района и школьники. Пришли 120 жителей.")
    await expect(bot_message(page, "Пришлите фото")).to_be_visible()
    await page.set_input_files("#chat-file", str(picture))
    status = bot_message(page, "Получено вложений: 1")
    await expect(status).to_be_visible()
    await expect(page.locator("#messages .msg.out img")).to_be_visible()
    await shot("reporter-photo")
    await tap(page, status, "Готово")
    summary = bot_message(page, "Проверьте:")
    await expect(summary).to_be_visible()
    await tap(page, summary, "Отправить")
    await expect(bot_message(page, "Сообщение № ")).to_be_visible()
    await shot("reporter-sent")

    # The editor approves it for now, on every network.
    editor = page.locator(f'.contact[data-chat="{EDITOR_ID}"]')
    await expect(editor.locator(".badge")).to_be_visible()
    await editor.click()
    card = bot_message(page, "Новое сообщение")
    await expect(card).to_contain_text(TITLE)
    await expect(page.locator("#messages .media img").first).to_be_visible()
    await shot("editor-card")
    await tap(page, card, "Одобрить")
    when = bot_message(page, "Когда публикуем?")
    await tap(page, when, "Сейчас")
    where = bot_message(page, "Куда публикуем")
    await expect(where.locator(".ikb-button", has_text="Готово")).to_be_visible()
    await shot("editor-where")
    await tap(page, where, "Готово")
    await expect(bot_message(page, "Опубликовано")).to_be_visible()

    channel_post = page.locator("#channel-feed .post", has_text=TITLE)
    wall_post = page.locator("#vk-feed .post", has_text=TITLE)
    await expect(channel_post).to_be_visible()
    await expect(channel_post.locator(".media img")).to_be_visible()
    await expect(wall_post).to_be_visible()
    await expect(wall_post.locator(".media img")).to_be_visible()
    # ...and the OK group feed and the MAX channel beside them
    ok_post = page.locator("#ok-feed .post", has_text=TITLE)
    max_post = page.locator("#max-feed .post", has_text=TITLE)
    await expect(ok_post).to_be_visible()
    await expect(ok_post.locator(".media img")).to_be_visible()
    await expect(max_post).to_be_visible()
    await expect(max_post.locator(".media img")).to_be_visible()
    await shot("published")

    # A citizen comments in OK: the comment shows under the topic
    ok_form = ok_post.locator(".comment-form")
    await ok_form.locator("input").fill("Хорошая новость для села")
    await ok_form.locator("button").click()
    await expect(ok_post.locator(".comment-text", has_text="Хорошая новость")).to_be_visible()

    # A citizen thanks the office on VK, then swears under the channel post.
    vk_form = wall_post.locator(".comment-form")
    await vk_form.locator("input").fill("Спасибо, площадка отличная!")
    await vk_form.locator("button").click()
    await expect(wall_post.locator(".comment-text", has_text="площадка отличная")).to_be_visible()

    form = channel_post.locator(".comment-form")
    await form.locator("input").fill(OBSCENE)
    await form.locator("button").click()
    comment = channel_post.locator(".comment-text", has_text=OBSCENE)
    await expect(comment).to_be_visible()
    await shot("comment")

    await page.click(f'.contact[data-chat="{MODERATION_CHAT_ID}"]')
    flagged = (
        page.locator("#messages .msg.bot", has_text="Удалить").filter(has_text="площадка").last
    )
    try:
        await expect(flagged).to_be_visible(timeout=20_000)
    except AssertionError:
        await shot("no-moderation-card")
        assert box.stage.app is not None
        wired = box.stage.app.moderation.moderator(Network.telegram) is not None
        if wired:
            raise  # moderation is in the app: the card must come
        pytest.skip("comment moderation of the Telegram discussion is not in the app yet")
    await shot("moderation-card")
    await tap(page, flagged, "Удалить")
    await expect(comment).to_have_count(0)
    await expect(channel_post.locator(".comment.removed")).to_be_visible()
    await shot("comment-deleted")


async def test_vk_reporter_reports_and_hears_it_was_published(
    sandbox: tuple[Sandbox, str], page: Page, tmp_path: Path
) -> None:
    """Ольга reports in the community's messages (her VK app), Мария approves in Telegram."""
    _, url = sandbox
    shot = Shots(page, "vk")
    picture = tmp_path / "праздник.png"
    picture.write_bytes(png())

    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    olga = page.locator(f'.contact[data-chat="vk{VK_REPORTER[0]}"]')
    await expect(olga.locator(".net-mark")).to_have_text("ВКонтакте")
    await olga.click()
    await expect(page.locator("#vkchat")).to_be_visible()
    await expect(page.locator("#chat")).to_be_hidden()
    await expect(page.locator("#vk-start-button")).to_be_visible()
    await shot("empty-conversation")

    # VK's «Начать», then the menu under the input field: a text button.
    await page.click("#vk-start-button")
    await expect(vk_message(page, "Что можно сделать здесь")).to_be_visible()
    await page.locator("#vk-kb .vk-kb-button", has_text="Сообщить о мероприятии").click()
    await expect(page.locator("#vk-messages .vmsg.out").last).to_have_text(
        re.compile("^Сообщить о мероприятии")
    )
    await expect(vk_message(page, "Как оно называется?")).to_be_visible()
    await vk_type(page, VK_TITLE)
    ask_date = vk_message(page, "Когда оно прошло?")
    await vk_tap(ask_date, "Вчера")
    await expect(vk_message(page, "Где?")).to_be_visible()
    await expect(ask_date.locator(".vk-button.pending")).to_have_count(0)  # answered
    await vk_type(page, "с. Корнилово, Дом культуры")
    await expect(vk_message(page, "Коротко опишите")).to_be_visible()
    await vk_type(page, "Концерт, ярмарка и награждение лучших жителей села.")
    await expect(vk_message(page, "Пришлите фото")).to_be_visible()
    await page.set_input_files("#vk-file", str(picture))
    status = vk_message(page, "Получено вложений: 1")
    await expect(status).to_be_visible()
    await expect(page.locator("#vk-messages .vmsg.out img")).to_be_visible()
    await shot("photo")
    await vk_tap(status, "Готово")
    summary = vk_message(page, "Проверьте:")
    await expect(summary).to_contain_text(f"«{VK_TITLE}»")
    await expect(summary).to_contain_text("вложений: 1")
    await shot("summary")
    await vk_tap(summary, "Отправить")
    done = vk_message(page, "передано в пресс-службу")
    await expect(done).to_contain_text("Сообщение № 1")
    await expect(summary.locator(".vk-button")).to_have_count(0)
    await expect(page.locator("#vk-messages .vk-button.pending")).to_have_count(0)
    await shot("sent")

    # The editor, in Telegram, approves it for now, on every network.
    editor = page.locator(f'.contact[data-chat="{EDITOR_ID}"]')
    await expect(editor.locator(".badge")).to_be_visible()
    await editor.click()
    await expect(page.locator("#chat")).to_be_visible()
    card = bot_message(page, "Новое сообщение")
    await expect(card).to_contain_text(VK_TITLE)
    await expect(card).to_contain_text("Ольга Смирнова")
    await expect(page.locator("#messages .media img").first).to_be_visible()
    await tap(page, card, "Одобрить")
    await tap(page, bot_message(page, "Когда публикуем?"), "Сейчас")
    where = bot_message(page, "Куда публикуем")
    await expect(where.locator(".ikb-button", has_text="Готово")).to_be_visible()
    await tap(page, where, "Готово")
    await expect(bot_message(page, "Опубликовано")).to_be_visible()
    await expect(page.locator("#vk-feed .post", has_text=VK_TITLE)).to_be_visible()
    await expect(page.locator("#channel-feed .post", has_text=VK_TITLE)).to_be_visible()

    # Ольга hears it in VK, with the links.
    await expect(olga.locator(".badge")).to_be_visible()
    await shot("editor-published")
    await olga.click()
    # One «Опубликовано» per network, in the order they land: the VK one carries the wall link.
    published = vk_message(page, "vk.com/wall")
    await expect(published).to_contain_text("Опубликовано")
    await expect(published).to_contain_text(f"«{VK_TITLE}»")
    await expect(published.locator("a", has_text="vk.com/wall")).to_be_visible()
    await shot("published")


SIZES = [(390, 844), (1280, 720), (1440, 900)]  # a phone, a small laptop, a common laptop


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def open_page(browser: Any, url: str, width: int, height: int) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    return page


async def test_the_page_fits_a_phone_and_a_laptop(
    sandbox: tuple[Sandbox, str], browser: Any
) -> None:
    """At 390×844 the chat is the first screen (not the banner) and full width; at 1280×720 and
    1440×900 the chat, the channel and the wall are all in view, side by side."""
    _, url = sandbox
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page = await open_page(browser, url, width, height)
        await page.click(f'.contact[data-chat="{REPORTER_ID}"]')
        if width == SIZES[0][0]:  # the same demo world at every size: started once
            await page.click("#start-button")
        await expect(bot_message(page, "Здравствуйте")).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / f"layout-{width}x{height}.png"))
        banner = await page.locator(".banner").bounding_box()
        chat = await page.locator("#chat").bounding_box()
        field = await page.locator("#chat-input").bounding_box()
        assert banner and chat and field
        assert banner["height"] <= max(0.12 * height, 60), f"{width}: banner {banner['height']}"
        assert field["y"] + field["height"] <= height, f"{width}: the input is below the fold"
        if width < 720:
            assert chat["width"] >= 0.9 * width, f"{width}: the chat is {chat['width']} wide"
        else:
            assert chat["width"] >= 400, f"{width}: the chat is {chat['width']} wide"
            for panel in ("#channel", "#vk"):
                box = await page.locator(panel).bounding_box()
                assert box and box["width"] >= 250, f"{width}: {panel} is {box}"
                assert box["y"] < 0.15 * height and box["y"] + box["height"] <= height + 1, (
                    f"{width}×{height}: {panel} is below the fold: {box}"
                )
        assert not page.errors, page.errors  # type: ignore[attr-defined]
        await page.context.close()


@pytest.fixture
async def sandbox_with_config(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, str]]:
    """The sandbox as `pressdesk sandbox --config` starts it, with the digest at 07:30."""
    web = SandboxWeb()
    url = await web.start("127.0.0.1", 0)
    config = parse_config({"moderation": {"digest_time": "07:30"}}, source="config.toml")
    box = Sandbox(config, tmp_path, web)
    await box.start()
    yield box, url
    await web.stop()
    await box.stop()


async def test_digest_now_and_paragraphs_in_the_composer(
    sandbox_with_config: tuple[Sandbox, str], browser: Any
) -> None:
    box, url = sandbox_with_config
    assert box.stage.app is not None
    job = box.stage.app.scheduler.scheduler.get_job("moderation:digest")
    assert (str(job.trigger.fields[5]), str(job.trigger.fields[6])) == ("7", "30")
    page = await open_page(browser, url, 1440, 900)
    shot = Shots(page, "digest")
    assert "07:30" in (await page.locator("#digest-now").get_attribute("title") or "")

    # The composer takes paragraphs: Shift+Enter breaks the line, Enter sends.
    await page.click(f'.contact[data-chat="{REPORTER_ID}"]')
    await page.click("#start-button")
    await expect(bot_message(page, "Здравствуйте")).to_be_visible()
    field = page.locator("#chat-input")
    await field.click()
    await page.keyboard.type("Первый абзац.")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("Второй абзац.")
    await expect(field).to_have_value("Первый абзац.\nВторой абзац.")
    await shot("two-lines")
    await page.keyboard.press("Enter")
    await expect(field).to_have_value("")
    sent = page.locator("#messages .msg.out", has_text="Второй абзац.").last
    await expect(sent).to_be_visible()
    said = [m.get("text") for m in box.stage.tg.chat_messages(REPORTER_ID)]
    assert "Первый абзац.\nВторой абзац." in said

    # «Прислать сводку сейчас»: the editors' digest arrives at once.
    await page.click("#digest-now")
    await expect(page.locator("#toast")).to_contain_text("Сводка отправлена редакторам: 2")
    await page.click(f'.contact[data-chat="{ADMIN_ID}"]')
    await expect(bot_message(page, "Доброе утро")).to_be_visible()
    await shot("digest")
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def _poll(url: str, until: float, proc: subprocess.Popen[str]) -> tuple[int, str]:
    """GETs `url` until it answers 200, the deadline passes or the process ends."""
    status, body = _get(url)
    while status != 200 and time.monotonic() < until and proc.poll() is None:
        time.sleep(0.1)  # polling the port; the condition is the answer itself
        status, body = _get(url)
    return status, body


def test_sandbox_command_answers_and_stops_on_ctrl_c() -> None:
    """The page and the demo world come up and Ctrl-C ends it cleanly. How fast is measured by
    bench/startup.py (docs/benchmarks.md), not asserted here: the deadlines below only stop a
    hung start."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = Path(sys.executable).parent / "pressdesk"
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(command), "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        status, page = _poll(f"{base}/", started + 90, proc)
        answered = time.monotonic() - started
        assert status == 200 and "Песочница" in page, f"no page (exit {proc.poll()})"
        # The bot itself is up when the page learns the demo world (it waits on this too).
        status, _ = _poll(f"{base}/api/setup", started + 180, proc)
        assert status == 200, "the demo world did not start"
        ready = time.monotonic() - started
        print(f"page answered after {answered:.1f} s, bot ready after {ready:.1f} s")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out, err
    assert f"{base}/" in out
