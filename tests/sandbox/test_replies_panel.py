"""A citizen writes to the community in the sandbox (the VK panel) and the editor handles the
ticket end to end (issue 14): the acknowledgement, the card in the editors' group, «Ответить»,
the draft, «Отправить», and the one answer in the citizen's dialogue.

Real headless Chromium, as in test_browser.py; waits are on conditions (Playwright's expect)."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID, OK_GROUP_ID
from sandbox.world import CITIZEN_OK_ID, CITIZEN_VK_ID, Sandbox
from tests.sandbox import test_browser
from tests.sandbox.test_browser import bot_message, tap, type_message, vk_message, vk_type

# the same sandbox and headless Chromium as test_browser.py
sandbox = test_browser.sandbox
page = test_browser.page

QUESTION = "Здравствуйте! Когда отремонтируют дорогу на Лесной?"
ANSWER = "Сергей, ремонт дороги на Лесной начнётся в июне."


async def test_a_citizen_writes_to_the_community_and_the_editor_answers(
    sandbox: tuple[Sandbox, str], page: Page
) -> None:
    box, url = sandbox
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    citizen = page.locator(f'.contact[data-chat="vk{CITIZEN_VK_ID}"]')
    await citizen.click()
    await page.click("#vk-start-button")  # VK's «Начать»: a citizen gets a welcome, no refusal
    await expect(vk_message(page, "Напишите ваш вопрос")).to_be_visible()
    await vk_type(page, QUESTION)
    await expect(vk_message(page, "передано в администрацию")).to_contain_text("обращение № 1")

    await page.click(f'.contact[data-chat="{MODERATION_CHAT_ID}"]')
    card = bot_message(page, "Обращение № 1")
    await expect(card).to_contain_text("Когда отремонтируют дорогу")
    await tap(page, card, "Ответить")  # as Анна Петрова, the group's first editor

    await page.click(f'.contact[data-chat="{ADMIN_ID}"]')
    await expect(bot_message(page, "Напишите ответ на обращение № 1")).to_be_visible()
    await type_message(page, ANSWER)
    draft = bot_message(page, "Черновик ответа")
    await expect(draft).to_contain_text(ANSWER)
    await tap(page, draft, "Отправить")
    await expect(draft.locator(".ikb-button")).to_have_count(0)

    await citizen.click()
    await expect(vk_message(page, ANSWER)).to_be_visible()
    answers = [m for m in box.stage.vk.sent_messages(CITIZEN_VK_ID) if m["text"] == ANSWER]
    assert len(answers) == 1


async def ok_citizen_writes(page: Page, text: str) -> Locator:
    """The citizen sends `text` from the OK panel's «Сообщения группе»; that chat."""
    chat = page.locator("#ok-chat")
    await chat.locator("input").fill(text)
    await chat.locator("button[type=submit]").click()
    return chat


async def test_a_citizen_writes_to_the_ok_group_and_the_editor_answers(
    sandbox: tuple[Sandbox, str], page: Page
) -> None:
    """The OK panel's «Сообщения группе»: the message reaches the desk by OK's webhook."""
    box, url = sandbox
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    chat = await ok_citizen_writes(page, "Куда обращаться по поводу вывоза мусора?")
    await expect(chat.locator(".ok-msg.from-group").first).to_contain_text(
        "передано в администрацию"
    )

    await page.click(f'.contact[data-chat="{MODERATION_CHAT_ID}"]')
    card = bot_message(page, "вывоза мусора")
    await expect(card).to_contain_text("сообщение · Одноклассники")
    await tap(page, card, "Ответить")
    await page.click(f'.contact[data-chat="{ADMIN_ID}"]')
    await expect(bot_message(page, "Напишите ответ на обращение")).to_be_visible()
    answer = "Вывоз мусора — Отдел ЖКХ, телефон 8 (3822) 00-00-00."
    await type_message(page, answer)
    draft = bot_message(page, "Черновик ответа")
    await expect(draft).to_contain_text(answer)
    await tap(page, draft, "Отправить")
    await expect(chat.locator(".ok-msg.from-group").last).to_contain_text(answer)
    sent = box.stage.ok.bot_api.messages(OK_GROUP_ID, CITIZEN_OK_ID)
    assert [m["message"]["text"] for m in sent].count(answer) == 1


async def test_a_message_to_the_ok_group_while_the_desk_is_stopped_becomes_a_ticket_at_start(
    sandbox: tuple[Sandbox, str], page: Page
) -> None:
    """«Остановить бота», a message in «Сообщения группе», «Запустить бота»: the catch-up."""
    box, url = sandbox
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    power = page.locator("#desk-power")
    await power.click()
    await expect(power).to_have_text("Запустить бота")
    assert box.stage.app is None
    chat = await ok_citizen_writes(page, "Пока бот стоял: когда вывезут мусор на Мира?")
    await expect(chat.locator(".ok-msg.from-citizen").last).to_contain_text("вывезут мусор")
    await power.click()
    await expect(power).to_have_text("Остановить бота")
    await expect(chat.locator(".ok-msg.from-group").last).to_contain_text(
        "передано в администрацию"
    )
    await page.click(f'.contact[data-chat="{MODERATION_CHAT_ID}"]')
    await expect(bot_message(page, "вывезут мусор на Мира")).to_contain_text(
        "сообщение · Одноклассники"
    )
