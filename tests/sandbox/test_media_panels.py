"""Video and documents in the sandbox's chat panels (issue 11): a person picks the files from
disk in the Telegram and VK panels and sees them come out on each network's feed.

Real headless Chromium, as in test_browser.py; waits are on conditions (Playwright's expect)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from sandbox.world import EDITOR_ID, REPORTER_ID, VK_REPORTER, Sandbox
from tests.sandbox import test_browser
from tests.sandbox.test_browser import (
    bot_message,
    tap,
    type_message,
    vk_message,
    vk_tap,
    vk_type,
)

# the same sandbox and headless Chromium as test_browser.py
sandbox = test_browser.sandbox
page = test_browser.page

VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"video-frames" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 10
TITLE = "Итоги конкурса «Лучший двор»"


async def approve_now(tab: Page, title: str) -> None:
    await tab.click(f'.contact[data-chat="{EDITOR_ID}"]')
    card = bot_message(tab, "Новое сообщение")
    await expect(card).to_contain_text(title)
    await tap(tab, card, "Одобрить")
    await tap(tab, bot_message(tab, "Когда публикуем?"), "Сейчас")
    where = bot_message(tab, "Куда публикуем")
    await expect(where.locator(".ikb-button", has_text="Готово")).to_be_visible()
    await tap(tab, where, "Готово")
    await expect(bot_message(tab, "Опубликовано")).to_be_visible()


async def test_a_video_and_a_pdf_from_the_telegram_panel_reach_the_feeds(
    sandbox: tuple[Sandbox, str], page: Page, tmp_path: Path
) -> None:
    _, url = sandbox
    video, pdf = tmp_path / "ролик.mp4", tmp_path / "призы.pdf"
    video.write_bytes(VIDEO)
    pdf.write_bytes(PDF)
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    await page.click(f'.contact[data-chat="{REPORTER_ID}"]')
    await page.click("#start-button")
    await expect(bot_message(page, "Здравствуйте")).to_be_visible()
    await type_message(page, "/report")
    await expect(bot_message(page, "Как оно называется?")).to_be_visible()
    await type_message(page, TITLE)
    await expect(bot_message(page, "Когда оно прошло?")).to_be_visible()
    await page.locator("#rkb button", has_text="Сегодня").click()
    await expect(bot_message(page, "Где?")).to_be_visible()
    await type_message(page, "Томский район")
    await expect(bot_message(page, "Коротко опишите")).to_be_visible()
    await type_message(page, "Победители конкурса и их дворы.")
    await expect(bot_message(page, "Пришлите фото или видео")).to_be_visible()
    await page.set_input_files("#chat-file", [str(video), str(pdf)])
    status = bot_message(page, "Получено вложений: 2")
    await expect(status).to_be_visible()
    await expect(page.locator("#messages .msg.out a.file", has_text="Видео")).to_be_visible()
    await tap(page, status, "Готово")
    summary = bot_message(page, "Проверьте:")
    await expect(summary).to_contain_text("вложений: 2")
    await tap(page, summary, "Отправить")
    await expect(bot_message(page, "Сообщение № ")).to_be_visible()

    await approve_now(page, TITLE)
    channel = page.locator("#channel-feed .post", has_text=TITLE)
    await expect(channel.locator("a.file", has_text="Видео")).to_be_visible()
    await expect(page.locator("#channel-feed a.file", has_text="призы.pdf")).to_be_visible()
    wall = page.locator("#vk-feed .post", has_text=TITLE)
    await expect(wall.locator("a.file", has_text="Видео")).to_be_visible()
    await expect(wall.locator("a.file", has_text="призы.pdf")).to_be_visible()
    max_post = page.locator("#max-feed .post", has_text=TITLE)
    await expect(max_post.locator("a.file", has_text="Видео")).to_be_visible()
    await expect(max_post.locator("a.file", has_text="призы.pdf")).to_be_visible()
    await expect(page.locator("#ok-feed .post", has_text=TITLE)).to_have_count(0)  # no files


async def test_a_vk_reporter_sends_a_video_from_the_vk_panel(
    sandbox: tuple[Sandbox, str], page: Page, tmp_path: Path
) -> None:
    _, url = sandbox
    video = tmp_path / "ролик.mp4"
    video.write_bytes(VIDEO)
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    await page.locator(f'.contact[data-chat="vk{VK_REPORTER[0]}"]').click()
    await page.click("#vk-start-button")
    await expect(vk_message(page, "Что можно сделать здесь")).to_be_visible()
    await page.locator("#vk-kb .vk-kb-button", has_text="Сообщить о мероприятии").click()
    await expect(vk_message(page, "Как оно называется?")).to_be_visible()
    await vk_type(page, TITLE)
    await vk_tap(vk_message(page, "Когда оно прошло?"), "Вчера")
    await expect(vk_message(page, "Где?")).to_be_visible()
    await vk_type(page, "Томский район")
    await expect(vk_message(page, "Коротко опишите")).to_be_visible()
    await vk_type(page, "Победители конкурса и их дворы.")
    await expect(vk_message(page, "Пришлите фото или видео")).to_be_visible()
    await page.set_input_files("#vk-file", str(video))
    status = vk_message(page, "Получено вложений: 1")
    await expect(status).to_be_visible()
    await expect(page.locator("#vk-messages .vmsg.out a.file", has_text="Видео")).to_be_visible()
    await vk_tap(status, "Готово")
    summary = vk_message(page, "Проверьте:")
    await vk_tap(summary, "Отправить")
    await expect(vk_message(page, "передано в пресс-службу")).to_be_visible()

    await approve_now(page, TITLE)
    ok_post = page.locator("#ok-feed .post", has_text=TITLE)
    await expect(ok_post.locator("a.file", has_text="Видео")).to_be_visible()
    wall = page.locator("#vk-feed .post", has_text=TITLE)
    await expect(wall.locator("a.file", has_text="Видео")).to_be_visible()
