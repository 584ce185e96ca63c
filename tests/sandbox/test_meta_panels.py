"""The sandbox with Facebook and Instagram switched on in its config: their panels show the
published post with its photos, and a citizen's rude comment typed in the Facebook panel is
flagged, hidden from the moderation group's card, and shown as hidden in the panel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.config import parse_config
from sandbox.stage import MODERATION_CHAT_ID
from sandbox.web import SandboxWeb
from sandbox.world import EDITOR_ID, REPORTER_ID, Sandbox
from tests.e2e.conftest import Chat, report_event
from tests.sandbox.test_browser import CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, TIMEOUT_MS

RUDE = "Да это пиздец, а не площадка, бля"


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, str]]:
    web = SandboxWeb()
    url = await web.start("127.0.0.1", 0)
    # the visitor's own config.toml with both switched on (their ids; the sandbox uses its own)
    config = parse_config(
        {
            "facebook": {"enabled": True, "page_id": "1"},
            "instagram": {"enabled": True, "user_id": "2"},
        }
    )
    box = Sandbox(config, tmp_path, web)
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
        context = await browser.new_context(viewport={"width": 1680, "height": 1400})
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


async def test_facebook_and_instagram_panels_show_the_post_and_moderate(
    sandbox: tuple[Sandbox, str], page: Page
) -> None:
    box, url = sandbox
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    await expect(page.locator("#fb .empty")).to_be_visible()
    await expect(page.locator("#ig .empty")).to_be_visible()

    # A report and its approval, played over the Telegram emulator by the demo people.
    reporter, editor = Chat(box.stage, REPORTER_ID), Chat(box.stage, EDITOR_ID)
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await editor.expect("Опубликовано", within=40)

    fb_post = page.locator("#fb-feed .post").first
    await expect(fb_post).to_contain_text("Открытие спортивной площадки")
    await expect(fb_post.locator(".media img")).to_have_count(2)
    ig_post = page.locator("#ig-feed .post").first
    await expect(ig_post).to_contain_text("Открытие спортивной площадки")
    await expect(ig_post.locator(".media img")).to_have_count(2)

    # The citizen comments in the Facebook panel; the editors hide it from the group's card.
    await fb_post.locator(".comment-form input").fill(RUDE)
    await fb_post.locator(".comment-form button").click()
    await expect(fb_post.locator(".comment", has_text="пиздец")).to_be_visible()
    await page.click(f'.contact[data-chat="{MODERATION_CHAT_ID}"]')
    flagged = page.locator("#messages .msg.bot", has_text="Facebook").last
    await expect(flagged).to_contain_text("Комментарий на проверке")
    await flagged.locator(".ikb-button", has_text="Скрыть").click()
    await expect(fb_post.locator(".comment.hidden-comment")).to_contain_text("скрыт")
