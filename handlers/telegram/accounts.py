"""/accounts: the admins keep the registry of the administration's accounts in chat (add, edit,
archive) and get it as HTML, JSON or CSV files to publish on the website."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.registry import FIELDS, FORMATS, NETWORK_TITLES, Registry, Row, clean_name, clean_url
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.states import AccountDialog
from storage.models import Person

router = Router(name="accounts")
router.message.filter(PRIVATE)
SKIP = "-"


class AccountAction(StrEnum):
    open = "o"
    add = "a"
    network = "n"
    edit = "e"
    archive = "x"
    restore = "r"
    export = "f"
    back = "b"


class AccountCB(CallbackData, prefix="a1"):
    action: AccountAction
    ref: int = 0
    arg: str = ""


def _button(text: str, action: AccountAction, ref: int = 0, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=AccountCB(action=action, ref=ref, arg=arg).pack()
    )


async def registry_card(registry: Registry, actor: Person) -> tuple[str, InlineKeyboardMarkup]:
    await registry.require_admin(actor)
    rows = await registry.rows()
    lines = ["Реестр аккаунтов:"]
    buttons = []
    for r in rows:
        mark = " (в архиве)" if r.status != "active" else ""
        own = " · ведёт бот" if r.own else ""
        lines.append(f"• {r.network_title}: {r.name}{mark}{own}")
        buttons.append([_button(f"{r.network_title}: {r.name}"[:60], AccountAction.open, r.id)])
    if not rows:
        lines.append("пока пусто")
    buttons.append([_button("➕ Добавить аккаунт", AccountAction.add)])
    buttons.append([_button(f"Файл {f.upper()}", AccountAction.export, arg=f) for f in FORMATS])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


def account_card(row: Row) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join(
        [
            f"{row.network_title}: {row.name}",
            f"Ссылка: {row.url or '—'}",
            f"Подразделение: {row.department or '—'}",
            f"Ответственный: {row.responsible or '—'}",
            f"Статус: {row.status_title}",
            f"Отметка сети: {row.verified_text} · подписчиков: {row.followers_text}",
            f"Последняя публикация: {row.last_post_text}",
            f"Ключ доступа: {row.health_text}" if row.own else "",
        ]
    ).strip()
    buttons = [
        [_button(f"Изменить {title}", AccountAction.edit, row.id, field)]
        for field, title in FIELDS.items()
    ]
    if row.status == "active":
        buttons.append([_button("В архив", AccountAction.archive, row.id)])
    else:
        buttons.append([_button("Вернуть из архива", AccountAction.restore, row.id)])
    buttons.append([_button("← К реестру", AccountAction.back)])
    return text, InlineKeyboardMarkup(inline_keyboard=buttons)


@router.message(Command("accounts"))
async def list_accounts(message: Message, registry: Registry, person: Person) -> None:
    text, markup = await registry_card(registry, person)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AccountCB.filter())
async def on_account(
    query: CallbackQuery,
    callback_data: AccountCB,
    registry: Registry,
    person: Person,
    state: FSMContext,
) -> None:
    await registry.require_admin(person)
    action, ref, arg = callback_data.action, callback_data.ref, callback_data.arg
    if action == AccountAction.export:
        data = await registry.export(arg, actor=person)
        await query.message.answer_document(
            BufferedInputFile(data, filename=f"реестр-аккаунтов.{arg}"),
            caption=f"Реестр аккаунтов, {arg.upper()}.",
        )
        await query.answer()
        return
    if action == AccountAction.add:
        rows = [
            [_button(title, AccountAction.network, arg=code)]
            for code, title in NETWORK_TITLES.items()
        ]
        await query.message.edit_text(
            "В какой сети аккаунт?", reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    elif action == AccountAction.network:
        if arg not in NETWORK_TITLES:
            await query.answer("Кнопка устарела. Наберите /accounts ещё раз.", show_alert=True)
            return
        await state.set_state(AccountDialog.name)
        await state.set_data({"network": arg})
        await query.message.edit_text(f"{NETWORK_TITLES[arg]}. Как называется аккаунт?")
    elif action == AccountAction.edit:
        if arg not in FIELDS:
            await query.answer("Кнопка устарела. Наберите /accounts ещё раз.", show_alert=True)
            return
        row = await registry.row(ref)
        await state.set_state(AccountDialog.edit)
        await state.set_data({"ref": ref, "field": arg})
        await query.message.answer(
            f"«{row.name}»: пришлите новое значение ({FIELDS[arg]}). «-» — очистить."
        )
    elif action in (AccountAction.archive, AccountAction.restore):
        row = await registry.archive(person, ref, archived=action == AccountAction.archive)
        text, markup = account_card(row)
        await query.message.edit_text(text, reply_markup=markup)
    elif action == AccountAction.open:
        text, markup = account_card(await registry.row(ref))
        await query.message.edit_text(text, reply_markup=markup)
    else:
        text, markup = await registry_card(registry, person)
        await query.message.edit_text(text, reply_markup=markup)
    await query.answer()


@router.message(StateFilter(AccountDialog.name), HAS_TEXT)
async def named(message: Message, state: FSMContext) -> None:
    await state.update_data(name=clean_name(message.text or ""))  # bad input: asked again
    await state.set_state(AccountDialog.url)
    await message.answer("Ссылка на страницу (например, https://vk.com/tomsk_district)?")


@router.message(StateFilter(AccountDialog.url), HAS_TEXT)
async def linked(message: Message, state: FSMContext) -> None:
    await state.update_data(url=clean_url(message.text or ""))
    await state.set_state(AccountDialog.department)
    await message.answer("Какое подразделение ведёт аккаунт? «-» — администрация в целом.")


@router.message(StateFilter(AccountDialog.department), HAS_TEXT)
async def owned(message: Message, state: FSMContext) -> None:
    await state.update_data(department=message.text)
    await state.set_state(AccountDialog.responsible)
    await message.answer("Кто ответственный (фамилия, имя, должность)? «-» — пропустить.")


@router.message(StateFilter(AccountDialog.responsible), HAS_TEXT)
async def responsible(
    message: Message, state: FSMContext, registry: Registry, person: Person
) -> None:
    data = await state.get_data()
    row = await registry.add(
        person,
        data["network"],
        data["name"],
        data["url"],
        _value(data["department"]),
        _value(message.text or ""),
    )
    await state.clear()
    text, markup = account_card(row)
    await message.answer(f"Аккаунт добавлен в реестр.\n\n{text}", reply_markup=markup)


@router.message(StateFilter(AccountDialog.edit), HAS_TEXT)
async def edited(message: Message, state: FSMContext, registry: Registry, person: Person) -> None:
    data = await state.get_data()
    row = await registry.edit(person, int(data["ref"]), data["field"], _value(message.text or ""))
    await state.clear()
    text, markup = account_card(row)
    await message.answer(f"Сохранено.\n\n{text}", reply_markup=markup)


def _value(text: str) -> str:
    return "" if text.strip() in (SKIP, "—") else text
