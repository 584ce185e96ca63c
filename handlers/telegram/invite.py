"""/invite: an admin picks a role and a department and gets a one-time deep link."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain import Role
from bot.people import Account, PeopleService
from handlers.telegram.callbacks import InviteCB
from handlers.telegram.common import MENU_INVITE
from handlers.telegram.filters import HAS_TEXT, PRIVATE, text_is
from handlers.telegram.states import InviteDialog
from storage.models import Person

router = Router(name="invite")
router.message.filter(PRIVATE)
NEW_DEPARTMENT = 0


@router.message(Command("invite"))
@router.message(text_is(MENU_INVITE))
async def invite(message: Message, person: Person) -> None:
    if person.role != Role.admin:
        await message.answer("Приглашать новых участников может только администратор.")
        return
    buttons = [
        [
            InlineKeyboardButton(
                text=role.title.capitalize(), callback_data=InviteCB(role=role).pack()
            )
        ]
        for role in Role
    ]
    await message.answer(
        "Кого приглашаем?", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


ROLES = {str(role) for role in Role}


async def refused(
    query: CallbackQuery, callback_data: InviteCB, person: Person | None, people: PeopleService
) -> bool:
    """Checked before anything else: only an admin presses invite buttons, and only with a role
    and a department the bot could have put there. A forged or stale button is refused and
    kept in the audit; nothing of it is acted on."""
    account = Account("tg", query.from_user.id)
    if person is None or person.role != Role.admin:
        await people.refuse(account, "invite button", action="invite.refused")
        await query.answer(
            "Приглашать новых участников может только администратор.", show_alert=True
        )
        return True
    if callback_data.role not in ROLES or callback_data.department < -1:
        await people.refuse(
            account, f"invite button {callback_data.pack()[:40]}", action="invite.refused"
        )
        await query.answer("Кнопка устарела. Наберите /invite ещё раз.", show_alert=True)
        return True
    return False


@router.callback_query(InviteCB.filter())
async def invite_button(
    query: CallbackQuery,
    callback_data: InviteCB,
    state: FSMContext,
    people: PeopleService,
    bot: Bot,
    person: Person | None = None,
    vk_link: str = "",
) -> None:
    if await refused(query, callback_data, person, people):
        return
    assert person is not None
    if callback_data.department == -1:
        await choose_department(query, callback_data, people)
    elif callback_data.department == NEW_DEPARTMENT:
        await ask_department_name(query, callback_data, state)
    else:
        await create_invite(query, callback_data, person, people, bot, vk_link)


async def choose_department(
    query: CallbackQuery, callback_data: InviteCB, people: PeopleService
) -> None:
    rows = [
        [
            InlineKeyboardButton(
                text=d.name, callback_data=InviteCB(role=callback_data.role, department=d.id).pack()
            )
        ]
        for d in await people.departments()
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text="➕ Новый отдел",
                callback_data=InviteCB(role=callback_data.role, department=NEW_DEPARTMENT).pack(),
            )
        ]
    )
    await query.message.edit_text(
        f"{Role(callback_data.role).title.capitalize()}. Из какого отдела?",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )
    await query.answer()


async def ask_department_name(
    query: CallbackQuery, callback_data: InviteCB, state: FSMContext
) -> None:
    await state.set_state(InviteDialog.department_name)
    await state.update_data(role=callback_data.role)
    await query.message.edit_text("Напишите название отдела, например «Отдел культуры».")
    await query.answer()


@router.message(StateFilter(InviteDialog.department_name), HAS_TEXT)
async def department_named(
    message: Message,
    state: FSMContext,
    person: Person,
    people: PeopleService,
    bot: Bot,
    vk_link: str = "",
) -> None:
    role = (await state.get_data())["role"]
    invite = await people.create_invite(person, Role(role), department_name=message.text)
    await state.clear()
    await message.answer(
        await link_text(bot, invite.code, role, people, invite.department_id, vk_link)
    )


async def create_invite(
    query: CallbackQuery,
    callback_data: InviteCB,
    person: Person,
    people: PeopleService,
    bot: Bot,
    vk_link: str = "",
) -> None:
    invite = await people.create_invite(person, Role(callback_data.role), callback_data.department)
    await query.message.edit_text(
        await link_text(bot, invite.code, callback_data.role, people, invite.department_id, vk_link)
    )
    await query.answer()


async def link_text(
    bot: Bot,
    code: str,
    role: str,
    people: PeopleService,
    department_id: int | None,
    vk_link: str = "",
) -> str:
    """The invite as the admin forwards it; `vk_link` (the community's dialogue) adds the VK way,
    with the same one-time code."""
    me = await bot.me()
    department = await people.department_name(department_id)
    text = (
        f"Приглашение: {Role(role).title}, {department}.\n"
        f"Перешлите эту ссылку сотруднику. Она сработает один раз в течение "
        f"{people.invite_ttl_hours} ч:\nhttps://t.me/{me.username}?start={code}"
    )
    if vk_link:
        text += f"\nВо ВКонтакте: напишите сообществу {vk_link} код {code}"
    return text
