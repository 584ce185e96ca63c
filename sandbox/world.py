"""The demo world: emulators, the production Application wired to them, demo staff.

Heavy to import (aiogram, vkbottle, SQLAlchemy): `sandbox.__main__` loads it after the page is up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.domain import Role
from sandbox.demo_plan import seed_plan
from sandbox.stage import (
    ADMIN_ID,
    BOT_USERNAME,
    CHANNEL_ID,
    CHANNEL_USERNAME,
    DISCUSSION_ID,
    FB_PAGE_ID,
    IG_USER_ID,
    IG_USERNAME,
    MAX_CHANNEL_ID,
    MODERATION_CHAT_ID,
    OK_GROUP_ID,
    VK_GROUP_ID,
    Stage,
)
from sandbox.web import SandboxWeb
from storage.models import Person

EDITOR_ID = 3001
REPORTER_ID = 2001
CITIZEN_TG_ID = 5001
CITIZEN_VK_ID = 600001
CITIZEN_OK_ID = "571234567890"
CITIZEN_MAX_ID = 40000001
# A department head who reports through the VK community's messages (no Telegram).
VK_REPORTER = (700001, "Ольга", "Смирнова", "отдел культуры")
PRESS_OFFICE = "Пресс-служба"
SPORT = "отдел по физической культуре и спорту"
DEPARTMENTS = [PRESS_OFFICE, SPORT, "отдел культуры", "отдел ЖКХ", "отдел образования"]

# (telegram id, first name, last name, role, department, what the page says about them)
PEOPLE = [
    (REPORTER_ID, "Иван", "Иванов", Role.reporter, SPORT, "руководитель, " + SPORT),
    (ADMIN_ID, "Анна", "Петрова", Role.admin, PRESS_OFFICE, "администратор и редактор"),
    (EDITOR_ID, "Мария", "Соколова", Role.editor, PRESS_OFFICE, "редактор пресс-службы"),
]


def sandbox_settings(config: Config) -> dict[str, dict[str, Any]]:
    """What the sandbox takes from the visitor's config.toml; the rest is the demo world's."""
    return {
        "desk": {
            "timezone": config.desk.timezone,
            "hashtags": config.desk.hashtags,
            "signature": config.desk.signature,
        },
        # The house style per network, as the visitor's config.toml has it (the preview shows it).
        "style": config.style.model_dump(),
        "telegram": {"moderation_chat_id": MODERATION_CHAT_ID},
        "moderation": {
            "model_path": config.moderation.model_path,
            "digest_time": config.moderation.digest_time,
        },
        # Facebook and Instagram only when the visitor's config switches them on (off by default).
        "facebook": {"enabled": config.facebook.enabled},
        "instagram": {"enabled": config.instagram.enabled},
        # The office's acknowledgements, deadlines, routing and templates for citizens' tickets.
        "replies": config.replies.model_dump(),
    }


def page_setup(config: Config) -> dict[str, Any]:
    return {
        "timezone": config.desk.timezone,
        "digest_time": config.moderation.digest_time,
        "bot": {"username": BOT_USERNAME, "name": "Пресс-служба"},
        "people": [
            {"id": uid, "name": f"{first} {last}", "about": about, "role": str(role)}
            for uid, first, last, role, _, about in PEOPLE
        ],
        "moderation_chat": {"id": MODERATION_CHAT_ID, "title": "Пресс-служба: модерация"},
        "channel": {
            "id": CHANNEL_ID,
            "username": CHANNEL_USERNAME,
            "title": "Администрация Томского района",
            "discussion_id": DISCUSSION_ID,
        },
        "vk": {
            "owner_id": -VK_GROUP_ID,
            "group_id": VK_GROUP_ID,
            "title": "Администрация Томского района",
        },
        "meta": {
            "facebook": {"page_id": FB_PAGE_ID, "title": "Администрация Томского района"}
            if config.facebook.enabled
            else None,
            "instagram": {"user_id": IG_USER_ID, "username": IG_USERNAME}
            if config.instagram.enabled
            else None,
            "citizen": {"id": "4000001", "name": "Сергей Кузнецов", "username": "kuznetsov_s"},
        },
        "ok": {"gid": OK_GROUP_ID, "title": "Администрация Томского района"},
        "max": {"chat_id": MAX_CHANNEL_ID, "title": "Администрация Томского района"},
        "citizen": {
            "tg_id": CITIZEN_TG_ID,
            "vk_id": CITIZEN_VK_ID,
            "ok_id": CITIZEN_OK_ID,
            "max_id": CITIZEN_MAX_ID,
            "name": "Сергей Кузнецов",
        },
        "vk_reporter": {"vk_id": VK_REPORTER[0], "name": f"{VK_REPORTER[1]} {VK_REPORTER[2]}"},
        # People who talk to the desk through the community's messages, in their VK app.
        "vk_people": [
            {
                "vk_id": VK_REPORTER[0],
                "name": f"{VK_REPORTER[1]} {VK_REPORTER[2]}",
                "about": f"руководитель, {VK_REPORTER[3]}",
                "role": str(Role.reporter),
            },
            {  # a citizen: what they write becomes a ticket for the editors (bot/replies)
                "vk_id": CITIZEN_VK_ID,
                "name": "Сергей Кузнецов",
                "about": "житель: пишет сообществу",
                "role": "citizen",
            },
        ],
    }


async def seed(stage: Stage) -> None:
    """Demo departments and staff, straight into the desk's database."""
    assert stage.app is not None
    async with stage.app.uow() as uow:
        if await uow.people.by_telegram(REPORTER_ID) is not None:
            return  # a kept --data folder was seeded before
        ids = {}
        for name in DEPARTMENTS:
            ids[name] = (await uow.departments.get_or_create(name)).id
        now = datetime.now(UTC)
        for uid, first, last, role, department, _ in PEOPLE:
            person = await uow.people.by_telegram(uid) or Person(telegram_id=uid, created_at=now)
            person.full_name = f"{first} {last}"
            person.role = str(role)
            person.department_id = ids[department]
            await uow.people.add(person)
        vk_id, first, last, department = VK_REPORTER
        person = await uow.people.by_vk(vk_id) or Person(vk_id=vk_id, created_at=now)
        person.full_name = f"{first} {last}"
        person.role = str(Role.reporter)
        person.department_id = ids[department]
        await uow.people.add(person)
        await uow.commit()
        reporter = await uow.people.by_telegram(REPORTER_ID)
        editor = await uow.people.by_telegram(ADMIN_ID)
    await seed_plan(stage.app, reporter, person, editor)


class Sandbox:
    """The demo world in the running loop: emulators, the real bot, demo people and the page."""

    def __init__(self, config: Config, data_dir: Path, page: SandboxWeb) -> None:
        self.config = config
        self.stage = Stage(data_dir, settings=sandbox_settings(config))
        self.page = page

    async def start(self) -> None:
        await self.stage.start_emulators()
        for uid, first, last, *_ in PEOPLE:
            self.stage.tg.add_user(uid, first, last)
            # They started the bot long ago: it may write to them (Telegram forbids it otherwise).
            self.stage.tg.open_private_chat(uid)
        self.stage.tg.add_user(CITIZEN_TG_ID, "Сергей", "Кузнецов")
        self.stage.vk.add_user(CITIZEN_VK_ID, "Сергей", "Кузнецов")
        self.stage.ok.add_user(CITIZEN_OK_ID, "Сергей", "Кузнецов")
        self.stage.max.add_user(CITIZEN_MAX_ID, "Сергей", "Кузнецов")
        vk_id, first, last, _ = VK_REPORTER
        self.stage.vk.add_user(vk_id, first, last)
        self.stage.vk.allow_messages(vk_id, VK_GROUP_ID)  # she wrote to the community before
        self.stage.ok_messages()  # the OK group's messages: a citizen can write to the group
        await self.stage.start_app()
        await seed(self.stage)
        self.page.attach(self.stage, page_setup(self.config))

    async def stop(self) -> None:
        await self.stage.stop()
