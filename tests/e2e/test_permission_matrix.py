"""Every Telegram command and every button action, and every VK way in, tried by every kind of
person: unknown, closed, reporter, editor, admin. The lists come from the code itself (the
routers' Command filters and CallbackData factories), so a new command or button that nobody put
into COMMANDS / BUTTONS fails here, and one that forgets its check fails for the role that should
have been refused. VK has no router to read; its ways in come from the tables the dialog itself
dispatches on (handlers/vk/messages.py: TEXT_COMMANDS, PAYLOAD_COMMANDS, BUTTON_FAMILIES), so a
new one without a policy in VK_COMMANDS fails here, and every one of them is refused to strangers
and to closed people; a VK reporter is refused the editors' lists (/drafts, /tickets, …). A card's
button in VK is the same core action as in Telegram, with the same policy (BUTTONS' "d1" entries):
a reporter is refused the editors' ones, an editor is not."""

from __future__ import annotations

import enum
import itertools
import json
import typing

import pytest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from magic_filter.operations.comparator import ComparatorOperation
from magic_filter.operations.getattr import GetAttributeOperation

from bot.domain import Role
from bot.people import Account
from bot.ports import Action
from bot.reporting import cancelled
from handlers.telegram import get_routers
from handlers.vk import messages as vk_messages
from sandbox.stage import ADMIN_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat, audit_lines, invite, join

# The least role that may use each command / each button family (None: any registered person).
COMMANDS: dict[str, Role | None] = {
    "start": None, "help": None, "cancel": None, "report": None,
    "drafts": Role.editor, "queue": Role.editor, "comments": Role.editor,
    "invite": Role.admin, "invites": Role.admin, "people": Role.admin, "audit": Role.admin,
    "accounts": Role.admin, "tokens": Role.admin, "doctor": Role.admin, "forget": Role.admin,
    "announce": None, "plan": Role.editor, "feed": Role.editor, "month": Role.admin,
    "tickets": Role.editor,
}  # fmt: skip
BUTTONS: dict[str, Role | None] = {
    "d1": Role.editor,  # the editors' decisions on posts and comments
    "r1": None,  # the report dialog's own steps
    "p1": Role.editor,  # the publication plan
    "d1:dn": None,  # «Сообщить сейчас» under a reporter's own reminder
    "d1:th": None,  # «Ответить» under a citizen's question sent to a head (the core checks whose)
    # polls, live broadcasts, contests (handlers/telegram/formats.py): the editors'
    "d1:po": Role.editor, "d1:pk": Role.editor, "d1:ab": Role.editor, "d1:ac": Role.editor,
    "d1:pr": Role.editor,
    # the per-network preview and texts (bot/preview.py), a published post's corrections
    "d1:pv": Role.editor, "d1:af": Role.editor, "d1:nt": Role.editor, "d1:ct": Role.editor,
    "d1:ep": Role.editor, "d1:dp": Role.editor, "d1:dy": Role.editor,
    # /feed's «Получить новую ссылку» / «Отозвать ссылку» (bot/plan_feed.py), in both chats
    "d1:fn": Role.editor, "d1:fr": Role.editor,
    "i1": Role.admin, "i2": Role.admin, "p2": Role.admin, "k1": Role.admin, "a1": Role.admin,
    # /tokens' «Заменить: …», the OK group's bot token among them
    "k1:vk_user": Role.admin, "k1:ok_bot": Role.admin,
}  # fmt: skip
# VK's commands: the dialog's own are everyone's; the lists (handlers/vk/lists.py) editors'.
VK_COMMANDS: dict[str, Role | None] = {
    "report": None, "announce": None, "cancel": None, "help": None, "start": None,
    "drafts": Role.editor, "queue": Role.editor, "comments": Role.editor,
    "tickets": Role.editor, "plan": Role.editor, "feed": Role.editor,
}  # fmt: skip
RANK = {Role.reporter: 1, Role.editor: 2, Role.admin: 3}
REFUSALS = (
    "только администратор",
    "только редактор",
    "ведут администраторы",
    "доступен только по приглашению",
    "Бот доступен только по приглашению",
    "Доступ закрыт.",  # a closed person's one line (issue 9, item 17)
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


def filtered_values() -> dict[tuple[str, str], set]:
    """The values the handlers' magic filters compare a button's fields with
    (`PlanCB.filter(F.action == "week")`, `F.action.in_(...)`): a plain str field's actions."""
    found: dict[tuple[str, str], set] = {}
    for router in get_routers():
        for handler in router.callback_query.handlers:
            for flt in handler.filters or []:
                rule = getattr(flt.callback, "rule", None)
                if not isinstance(flt.callback, CallbackQueryFilter) or rule is None:
                    continue
                ops = list(rule._operations)
                for attr, cmp in itertools.pairwise(ops):
                    if isinstance(attr, GetAttributeOperation) and isinstance(
                        cmp, ComparatorOperation
                    ):
                        right = cmp.right
                        key = (flt.callback.callback_data.__prefix__, attr.name)
                        values = (
                            right if isinstance(right, (set, list, tuple, frozenset)) else [right]
                        )
                        found.setdefault(key, set()).update(values)
    return found


def button_data(cls: type[CallbackData]) -> list[str]:
    """Every enum value of the factory's fields and every value its handlers filter on, with
    plausible values for the rest."""
    compared = filtered_values()
    variants: list[dict] = [{}]
    for name, field in cls.model_fields.items():
        kind = field.annotation
        if isinstance(kind, str):
            kind = typing.get_type_hints(cls)[name]
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            values = list(kind)
        elif kind is str and (cls.__prefix__, name) in compared:
            values = sorted(str(v) for v in compared[(cls.__prefix__, name)])
        elif kind is int:
            values = sorted(
                {1, 0, -1} | ({field.default} if isinstance(field.default, int) else set())
            )
        elif name == "role":
            values = [str(Role.editor)]
        elif name == "arg":
            values = ["1"]  # a number: some buttons carry a moment or an id here
        elif name == "token":
            values = ["vk_user", "ok_bot"]  # ok_bot: the OK group's bot token (/tokens)
        else:
            values = [field.default if isinstance(field.default, str) and field.default else "x"]
        variants = [{**v, name: value} for v in variants for value in values]
    return [cls(**v).pack() for v in variants]


def allowed(need: Role | None, role: str) -> bool:
    if role in ("unknown", "closed"):
        return False
    return need is None or RANK[Role(role)] >= RANK[need]


def vk_texts() -> list[str]:
    """Every word of every VK command, as typed, with "/" and in capitals, and a stray word."""
    words = [w for ws in vk_messages.TEXT_COMMANDS.values() for w in ws]
    return [*words, *(f"/{w}" for w in words), *(w.upper() for w in words), "привет"]


def vk_payloads() -> list[dict]:
    """The menu buttons' payloads, and each callback family with each of its actions."""
    payloads: list[dict] = [{k: v} for k, v in vk_messages.PAYLOAD_COMMANDS]
    assert set(vk_messages.BUTTON_FAMILIES) == {"d", "r"}, "add the new family's payloads here"
    payloads += [{"d": str(action), "r": 1} for action in Action]
    payloads += [{"r": "ok", "a": ""}, {"r": "x", "a": "1"}]
    return payloads


def test_every_command_and_button_has_a_policy() -> None:
    assert set(vk_messages.TEXT_COMMANDS) - set(VK_COMMANDS) == set(), "add it to VK_COMMANDS"
    assert set(vk_messages.PAYLOAD_COMMANDS.values()) <= set(VK_COMMANDS)
    assert telegram_commands() - set(COMMANDS) == set(), "add the new command to COMMANDS"
    assert set(telegram_buttons()) - set(BUTTONS) == set(), "add the new button to BUTTONS"
    assert {k for k in BUTTONS if ":" in k} <= {
        _action(d) for c in telegram_buttons().values() for d in button_data(c)
    }


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


CANCELLED = (cancelled(False), cancelled(True))


async def command_answer(chat: Chat, command: str, registered: bool) -> str:
    """Everything the bot said to a command. A registered person's /cancel after its first
    answer marks the end (it also leaves any dialog the command opened); a stranger gets one
    answer. Refusals are answered inside aiogram's per-chat lock (middlewares.Refusals), so
    a /cancel can never be answered before the refusal of the command before it."""
    before = len(chat.bot_messages())
    chat.send(command)
    await chat.tg.wait_until(lambda: len(chat.bot_messages()) > before, timeout=TIMEOUT)
    if not registered:
        return chat.bot_messages()[before]["text"]
    chat.send("/cancel")

    def until_cancel() -> list[str] | None:
        texts = [m.get("text") or m.get("caption") or "" for m in chat.bot_messages()[before:]]
        return texts[:-1] if texts and texts[-1] in CANCELLED else None

    return "\n".join(await chat.tg.wait_until(until_cancel, timeout=TIMEOUT))


async def denials(stage: Stage) -> int:
    return len(await audit_lines(stage, "access.denied"))


async def test_telegram_matrix(stage: Stage, admin: Chat) -> None:
    chats = await people(stage, admin)
    failures = []
    for role, chat in chats.items():
        registered = role not in ("unknown", "closed")
        for command, need in sorted(COMMANDS.items()):
            denied = await denials(stage)
            text = await command_answer(chat, f"/{command}", registered)
            refused = any(r in text for r in REFUSALS) or await denials(stage) > denied
            if command == "start" and registered:
                refused = False
            if refused == allowed(need, role):
                failures.append(f"/{command} by {role}: {text[:80]!r}")
        last = chat.bot_messages()[-1]["message_id"] if chat.bot_messages() else 1
        for prefix, cls in sorted(telegram_buttons().items()):
            for data in button_data(cls):
                denied = await denials(stage)
                query = stage.tg.user_presses_button(chat.user_id, chat.user_id, last, data)
                text = await chat.alert(query)
                refused = any(r in text for r in REFUSALS) or await denials(stage) > denied
                need = BUTTONS.get(_action(data), BUTTONS[prefix])
                if refused == allowed(need, role):
                    failures.append(f"button {data} by {role}: {text[:80]!r}")
    assert not failures, "\n".join(failures)


def _action(data: str) -> str:
    """ "d1:dn:1:" -> "d1:dn": a policy for one action of a factory, where it differs."""
    return ":".join(data.split(":")[:2])


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
    # A stranger's staff commands hear the invitation rule; what else a stranger writes is a
    # citizen's message (a ticket, acknowledged); a closed person hears one line (issue 9,
    # item 17) whatever they write, and is never a ticket.
    refusal = "только по приглашению" if role == "unknown" else "Доступ закрыт."
    start_words = set(vk_messages.TEXT_COMMANDS["start"])
    for text in vk_texts():
        before = len(stage.vk.sent_messages(vk_id))
        stage.vk.user_sends_message(vk_id, VK_GROUP_ID, text)
        await stage.vk.wait_until(
            lambda n=before: len(stage.vk.sent_messages(vk_id)) > n, timeout=TIMEOUT
        )
        if role == "unknown" and text.lower().lstrip("/") in start_words:
            expected = "Напишите ваш вопрос"  # «Начать» without a code: a citizen's welcome
        elif role == "unknown" and text == "привет":
            expected = "передано в администрацию"  # a citizen's message: a ticket
        else:
            expected = refusal
        assert expected in stage.vk.sent_messages(vk_id)[-1]["text"], text
    async with stage.app.uow() as uow:
        opened = await uow.tickets.open()
    assert [t.citizen_id for t in opened] == ([vk_id] if role == "unknown" else [])
    for payload in vk_payloads():
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
        assert refusal in snackbar, (payload, answer)


async def vk_command_answer(stage: Stage, vk_id: int, text: str) -> str:
    """Everything the community said to a typed command, up to the «Отмена» sent after it
    (one person's events are handled in turn, so the cancel's answer comes last)."""
    before = len(stage.vk.sent_messages(vk_id))
    stage.vk.user_sends_message(vk_id, VK_GROUP_ID, text)
    stage.vk.user_sends_message(vk_id, VK_GROUP_ID, "Отмена")

    cancels = 2 if text.lower() in vk_messages.TEXT_COMMANDS["cancel"] else 1

    def until_cancel() -> list[str] | None:
        texts = [m["text"] for m in sorted(stage.vk.sent_messages(vk_id), key=lambda m: m["id"])]
        texts = texts[before:]
        if sum(t in CANCELLED for t in texts) < cancels or texts[-1] not in CANCELLED:
            return None
        return texts[:-1]

    return "\n".join(await stage.vk.wait_until(until_cancel, timeout=TIMEOUT))


def vk_need(payload: dict) -> Role | None:
    """A VK payload's policy: a card's button as its Telegram twin, the report dialog anyone's."""
    if "d" not in payload:
        return None
    return BUTTONS.get(f"d1:{payload['d']}", BUTTONS["d1"])


@pytest.mark.parametrize("role", ["reporter", "editor"])
async def test_vk_registered_people_and_the_editors_buttons(
    stage: Stage, admin: Chat, role: str
) -> None:
    """Every VK command typed and every VK payload pressed by a reporter and by an editor whose
    only account is VK: the editors' ones are refused to the reporter (one audit line each) and
    not to the editor."""
    vk_id = 700002
    stage.vk.add_user(vk_id, "Анна", "Новикова")
    title = "Редактор" if role == "editor" else "Руководитель подразделения"
    code = await invite(admin, title, "Пресс-служба" if role == "editor" else "Отдел спорта")
    stage.vk.user_sends_message(vk_id, VK_GROUP_ID, f"Начать {code}")
    await stage.vk.wait_until(
        lambda: any("Добро пожаловать" in m["text"] for m in stage.vk.sent_messages(vk_id)),
        timeout=TIMEOUT,
    )
    stage.app.flood.limit = 0  # the matrix presses more than a person would
    failures = []
    for name, words in sorted(vk_messages.TEXT_COMMANDS.items()):
        denied = await denials(stage)
        text = await vk_command_answer(stage, vk_id, words[-1])
        refused = any(r in text for r in REFUSALS) or await denials(stage) > denied
        if refused == allowed(VK_COMMANDS[name], role):
            failures.append(f"«{words[-1]}» by a VK {role}: {text[:80]!r}")
    for payload in vk_payloads():
        denied = await denials(stage)
        event = stage.vk.user_presses_button(vk_id, VK_GROUP_ID, payload, 1)
        answer = await stage.vk.wait_until(
            lambda e=event["event_id"]: next(
                (a for a in stage.vk.event_answers(VK_GROUP_ID) if a.get("event_id") == e), None
            ),
            timeout=TIMEOUT,
        )
        snackbar = json.loads(answer.get("event_data") or "{}").get("text", "")
        refused = any(r in snackbar for r in REFUSALS) or await denials(stage) > denied
        if refused == allowed(vk_need(payload), role):
            failures.append(f"{payload} by a VK {role}: {snackbar!r}")
        await stage.app.vk_chat.states.delete(vk_id)  # a dialog a press opened ends here
    assert not failures, "\n".join(failures)
