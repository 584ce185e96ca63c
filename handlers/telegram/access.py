"""/people, /invites and /tokens: the admin changes roles, closes access (after a confirmation)
and opens it again, revokes pending invites, and replaces a network's token; the message that
carried a token is deleted at once and the token is never shown again."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.access import AccessService
from bot.dates import stamp
from bot.domain import Role
from bot.people import PeopleService
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.states import TokenDialog
from storage.models import Person

router = Router(name="access")
router.message.filter(PRIVATE)


class PersonAction(StrEnum):
    open = "o"
    role = "r"
    close = "c"
    close_confirmed = "cc"
    readmit = "ra"
    back = "b"


class PersonCB(CallbackData, prefix="p2"):
    action: PersonAction
    person: int = 0
    role: str = ""


class InviteAdminCB(CallbackData, prefix="i2"):
    code: str


class TokenCB(CallbackData, prefix="k1"):
    token: str


def _button(text: str, data: CallbackData) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=text, callback_data=data.pack())]


async def people_card(access: AccessService, actor: Person) -> tuple[str, InlineKeyboardMarkup]:
    lines, rows = ["Сотрудники (нажмите, чтобы изменить роль или доступ):"], []
    for person, department in await access.everyone(actor):
        where = "Telegram" if person.telegram_id else "ВКонтакте"
        unit = f", {department}" if department else ""
        state = "" if person.active else " — доступ закрыт"
        lines.append(f"• {person.full_name} — {Role(person.role).title}{unit} ({where}){state}")
        if person.id != actor.id:
            rows.append(
                _button(person.full_name, PersonCB(action=PersonAction.open, person=person.id))
            )
    lines.append("\nНовых сотрудников приглашайте командой /invite, ждущие приглашения — /invites.")
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def person_card(
    access: AccessService, actor: Person, person_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    person, department = await access.person(actor, person_id)
    unit = f", {department}" if department else ""
    text = f"Сотрудник: {person.full_name} — {Role(person.role).title}{unit}."
    rows = []
    if person.active:
        for role in Role:
            if role != person.role:
                data = PersonCB(action=PersonAction.role, person=person_id, role=role)
                rows.append(_button(f"Сделать: {role.title}", data))
        rows.append(
            _button("Закрыть доступ", PersonCB(action=PersonAction.close, person=person_id))
        )
    else:
        text += " Доступ закрыт."
        rows.append(
            _button("Вернуть доступ", PersonCB(action=PersonAction.readmit, person=person_id))
        )
    rows.append(_button("← Ко всем сотрудникам", PersonCB(action=PersonAction.back)))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("people"))
async def list_people(message: Message, access: AccessService, person: Person) -> None:
    text, markup = await people_card(access, person)
    await message.answer(text, reply_markup=markup)


@router.callback_query(PersonCB.filter())
async def on_person(
    query: CallbackQuery, callback_data: PersonCB, access: AccessService, person: Person
) -> None:
    action, target = callback_data.action, callback_data.person
    note = ""
    if action == PersonAction.back:
        text, markup = await people_card(access, person)
    elif action == PersonAction.close:
        other, _ = await access.person(person, target)
        text = (
            f"Закрыть доступ: {other.full_name}? Бот перестанет отвечать этому человеку, "
            "я сообщу ему об этом. Вернуть доступ можно здесь же."
        )
        confirm = PersonCB(action=PersonAction.close_confirmed, person=target)
        cancel = PersonCB(action=PersonAction.open, person=target)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[_button("Да, закрыть доступ", confirm), _button("Отмена", cancel)]
        )
    else:
        if action == PersonAction.close_confirmed:
            gone = await access.close(person, target)
            note = f"Доступ закрыт: {gone.full_name}.\n\n"
        elif action == PersonAction.readmit:
            back = await access.readmit(person, target)
            note = f"Доступ открыт: {back.full_name}.\n\n"
        elif action == PersonAction.role:
            changed = await access.change_role(person, target, Role(callback_data.role))
            note = f"Роль изменена: {changed.full_name} — {Role(changed.role).title}.\n\n"
        text, markup = await person_card(access, person, target)
    await query.message.edit_text(note + text, reply_markup=markup)
    await query.answer()


# ---- pending invites ----------------------------------------------------------------------------
async def invites_card(
    access: AccessService, actor: Person, tz: object
) -> tuple[str, InlineKeyboardMarkup]:
    pending = await access.pending_invites(actor)
    if not pending:
        return "Ждущих приглашений нет. Новое — командой /invite.", InlineKeyboardMarkup(
            inline_keyboard=[]
        )
    lines, rows = ["Приглашения, которые ещё не использованы:"], []
    for n, (invite, department) in enumerate(pending, 1):
        unit = f", {department}" if department else ""
        until = stamp(invite.expires_at, tz)  # type: ignore[arg-type]
        lines.append(f"{n}. {Role(invite.role).title}{unit} — действует до {until}")
        rows.append(_button(f"Отозвать №{n}", InviteAdminCB(code=invite.code)))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("invites"))
async def list_invites(
    message: Message, access: AccessService, people: PeopleService, person: Person
) -> None:
    text, markup = await invites_card(access, person, people.timezone)
    await message.answer(text, reply_markup=markup)


@router.callback_query(InviteAdminCB.filter())
async def on_revoke_invite(
    query: CallbackQuery,
    callback_data: InviteAdminCB,
    access: AccessService,
    people: PeopleService,
    person: Person,
) -> None:
    await access.revoke_invite(person, callback_data.code)
    text, markup = await invites_card(access, person, people.timezone)
    await query.message.edit_text(
        f"Приглашение отозвано: ссылка больше не сработает.\n\n{text}", reply_markup=markup
    )
    await query.answer()


# ---- tokens -----------------------------------------------------------------------------------
@router.message(Command("tokens"))
async def list_tokens(
    message: Message, access: AccessService, people: PeopleService, person: Person
) -> None:
    lines, rows = ["Ключи доступа к сетям:"], []
    for state in await access.tokens(person):
        check = state.check
        if follows := getattr(check, "follows", ""):
            source = f"тот же ключ, что «{access.token_title(follows)}»"
        elif state.stored_at:
            source = f"заменён в чате {stamp(state.stored_at, people.timezone)}"
            source += f", {state.stored_by}" if state.stored_by else ""
        else:
            source = "из настроек сервера"
        lines.append(f"• {check.title} — {source}")
        if getattr(check, "rotatable", False):
            rows.append(_button(f"Заменить: {check.title}", TokenCB(token=check.token)))
        if note := getattr(check, "note", ""):
            lines.append(f"  {note}")
    lines.append(
        "\nКлюч бота Telegram меняют в настройках сервера. Ключ, заменённый там позже, чем "
        "в чате, бот возьмёт при перезапуске. Проверить все ключи: /doctor."
    )
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(TokenCB.filter())
async def ask_token(
    query: CallbackQuery,
    callback_data: TokenCB,
    access: AccessService,
    person: Person,
    state: FSMContext,
) -> None:
    await access.tokens(person)  # admins only: refused here before anything is asked
    await state.set_state(TokenDialog.value)
    await state.update_data(token=callback_data.token)  # the name only, never the value
    await query.message.edit_text(
        f"{access.token_title(callback_data.token)}: пришлите новый ключ одним сообщением. "
        "Я сразу удалю это сообщение из чата и сохраню ключ в зашифрованном виде. "
        "Передумали — /cancel."
    )
    await query.answer()


@router.message(StateFilter(TokenDialog.value), HAS_TEXT)
async def token_sent(
    message: Message, bot: Bot, state: FSMContext, access: AccessService, person: Person
) -> None:
    name = (await state.get_data()).get("token", "")
    value = message.text or ""
    deleted = True
    try:
        await bot.delete_message(message.chat.id, message.message_id)
    except Exception:
        deleted = False
    await state.clear()
    warn = "" if deleted else "\nНе получилось удалить сообщение с ключом — удалите его сами."
    problems = await access.rotate(person, name, value)
    text = f"Ключ заменён и уже используется: {access.token_title(name)}."
    if problems:
        text += "\nЧто ещё не так:\n" + "\n".join(f"• {p.what}. {p.fix}" for p in problems)
    await message.answer(text + warn)
