"""Every Telegram command and every button action, and every VK way in, tried by every kind of
person: unknown, closed, reporter, editor, admin. The lists come from the code itself (the
routers' Command filters and CallbackData factories), so a new command or button that nobody put
into COMMANDS / BUTTONS fails here, and one that forgets its check fails for the role that should
have been refused. VK has no router to read: its ways in (the dialog's commands and button
payloads of handlers/vk) are listed here, and every one of them is refused to strangers and to
closed people; editors' actions do not exist in VK (they answer «в Telegram»)."""

from __future__ import annotations

import enum
import json
import typing

import pytest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter

from bot.domain import Role
from bot.people import Account
from handlers.telegram import get_routers
from handlers.vk import messages as vk_messages
from sandbox.stage import ADMIN_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat, join

# The least role that may use each command / each button family (None: any registered person).
COMMANDS: dict[str, Role | None] = {
    "start": None, "help": None, "cancel": None, "report": None,
    "drafts": Role.editor, "queue": Role.editor, "comments": Role.editor,
    "invite": Role.admin, "invites": Role.admin, "people": Role.admin, "audit": Role.admin,
    "accounts": Role.admin, "tokens": Role.admin, "doctor": Role.admin, "forget": Role.admin,
}  # fmt: skip
BUTTONS: dict[str, Role | None] = {
    "d1": Role.editor,  # the editors' decisions on posts and comments
    "r1": None,  # the report dialog's own steps
    "i1": Role.admin, "i2": Role.admin, "p2": Role.admin, "k1": Role.admin, "a1": Role.admin,
}  # fmt: skip
RANK = {Role.reporter: 1, Role.editor: 2, Role.admin: 3}
REFUSALS = (
    "только администратор",
    "только редактор",
    "ведут администраторы",
    "доступен только по приглашению",
    "Бот доступен только по приглашению",
)


def telegram_commands() -> set[str]:
    found = set()
    for router in get_routers():
        for handler in router.message.handlers:
            for flt in handler.filters or []:
                if isinstance(flt.callback, Command):
                    found.update(c for c in flt.callback.commands if isinstance(c, str))
    return found


def telegram_buttons() -> dict[str, type[CallbackData]]:
    found = {}
    for router in get_routers():
        for handler in router.callback_query.handlers:
            for flt in handler.filters or []:
                if isinstance(flt.callback, CallbackQueryFilter):
                    cls = flt.callback.callback_data
                    found[cls.__prefix__] = cls
    return found


def button_data(cls: type[CallbackData]) -> list[str]:
    """Every enum value of the factory's fields, with plausible values for the rest."""
    variants: list[dict] = [{}]
    for name, field in cls.model_fields.items():
        kind = field.annotation
        if isinstance(kind, str):
            kind = typing.get_type_hints(cls)[name]
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            values = list(kind)
        elif kind is int:
            values = sorted(
                {1, 0, -1} | ({field.default} if isinstance(field.default, int) else set())
            )
        elif name == "role":
            values = [str(Role.editor)]
        elif name == "token":
            values = ["vk_user"]
        else:
            values = [field.default if isinstance(field.default, str) and field.default else "x"]
        variants = [{**v, name: value} for v in variants for value in values]
    return [cls(**v).pack() for v in variants]


def allowed(need: Role | None, role: str) -> bool:
    if role in ("unknown", "closed"):
        return False
    return need is None or RANK[Role(role)] >= RANK[need]


def test_every_command_and_button_has_a_policy() -> None:
    assert telegram_commands() - set(COMMANDS) == set(), "add the new command to COMMANDS"
    assert set(telegram_buttons()) - set(BUTTONS) == set(), "add the new button to BUTTONS"


async def people(stage: Stage, admin: Chat) -> dict[str, Chat]:
    chats = {
        "admin": admin,
        "reporter": await join(
            stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
        ),
        "editor": await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба"),
    }  # fmt: skip
    closed = await join(stage, admin, 4001, "Пётр Закрытов", "Редактор", "Пресс-служба")
    async with stage.app.uow() as uow:
        person = await uow.people.by_telegram(4001)
    admin_person = await stage.app.people.identify(Account("tg", ADMIN_ID))
    await stage.app.access.close(admin_person, person.id)
    chats["closed"] = closed
    stage.tg.add_user(5001, "Незнакомый", "Человек")
    chats["unknown"] = Chat(stage, 5001)
    stage.app.flood.limit = 0  # the matrix sends more than a person would
    return chats


async def answer_to(chat: Chat, send: typing.Callable[[], object]) -> str:
    before = len(chat.bot_messages())
    sent = send()
    if isinstance(sent, str):  # a callback query id
        return await chat.alert(sent)
    await chat.tg.wait_until(lambda: len(chat.bot_messages()) > before, timeout=TIMEOUT)
    return "\n".join(m.get("text") or m.get("caption") or "" for m in chat.bot_messages()[before:])


async def test_telegram_matrix(stage: Stage, admin: Chat) -> None:
    chats = await people(stage, admin)
    failures = []
    for role, chat in chats.items():
        for command, need in sorted(COMMANDS.items(), key=lambda kv: kv[0]):
            text = await answer_to(chat, lambda c=chat, t=f"/{command}": c.send(t))
            refused = any(r in text for r in REFUSALS)
            if command == "start" and role not in ("unknown", "closed"):
                refused = False
            if refused == allowed(need, role):
                failures.append(f"/{command} by {role}: {text[:80]!r}")
            if role not in ("unknown", "closed"):  # leave any dialog the command opened
                await answer_to(chat, lambda c=chat: c.send("/cancel"))
        last = chat.bot_messages()[-1]["message_id"] if chat.bot_messages() else 1
        for prefix, cls in sorted(telegram_buttons().items()):
            for data in button_data(cls):
                query = stage.tg.user_presses_button(chat.user_id, chat.user_id, last, data)
                text = await chat.alert(query)
                refused = any(r in text for r in REFUSALS)
                if refused == allowed(BUTTONS[prefix], role):
                    failures.append(f"button {data} by {role}: {text[:80]!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["unknown", "closed"])
async def test_vk_strangers_and_closed_people_are_refused_everything(
    stage: Stage, role: str
) -> None:
    vk_id = 700001
    stage.vk.add_user(vk_id, "Сергей", "Кузнецов")
    if role == "closed":
        async with stage.app.uow() as uow:
            from storage.models import Person

            await uow.people.add(
                Person(
                    full_name="Сергей Кузнецов",
                    role="reporter",
                    vk_id=vk_id,
                    active=False,
                    created_at=stage.app.clock(),
                )
            )
            await uow.commit()
    texts = ["report", "/report", vk_messages.MENU_REPORT, "help", "cancel", "Начать", "привет"]
    for text in texts:
        before = len(stage.vk.sent_messages(vk_id))
        stage.vk.user_sends_message(vk_id, VK_GROUP_ID, text)
        await stage.vk.wait_until(
            lambda n=before: len(stage.vk.sent_messages(vk_id)) > n, timeout=TIMEOUT
        )
        assert "только по приглашению" in stage.vk.sent_messages(vk_id)[-1]["text"], text
    for payload in ({"cmd": "report"}, {"command": "start"}, {"d": 1}, {"r": "ok", "a": ""}):
        event = stage.vk.user_presses_button(vk_id, VK_GROUP_ID, payload, 1)
        await stage.vk.wait_until(
            lambda e=event["event_id"]: any(
                a.get("event_id") == e for a in stage.vk.event_answers(VK_GROUP_ID)
            ),
            timeout=TIMEOUT,
        )
        answer = next(
            a for a in stage.vk.event_answers(VK_GROUP_ID) if a.get("event_id") == event["event_id"]
        )
        snackbar = json.loads(answer.get("event_data") or "{}").get("text", "")
        assert "только по приглашению" in snackbar, (payload, answer)
