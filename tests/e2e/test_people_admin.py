"""The admin manages people: a role change, closing access only after a confirmation (and the
person is told), re-admitting a closed person (by button or by a new invite), pending invites
listed and revoked, and a per-person flood limit."""

from __future__ import annotations

from sandbox.stage import Stage
from tests.e2e.conftest import Chat, audit_lines, buttons, invite


async def open_person(admin: Chat, name: str) -> dict:
    admin.send("/people")
    listing = await admin.expect("Сотрудники")
    admin.press(listing, name)
    return await admin.edited(listing, f"Сотрудник: {name} — ")


async def test_role_change_close_with_confirmation_and_readmit(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    card = await open_person(admin, "Иван Иванов")
    admin.press(card, "Сделать: редактор")
    card = await admin.edited(card, "Роль изменена: Иван Иванов — редактор.")
    await reporter.expect("теперь Вы — редактор")
    reporter.send("/drafts")
    await reporter.expect("Черновиков, ждущих решения, нет.")

    admin.press(card, "Закрыть доступ")
    card = await admin.edited(card, "Закрыть доступ: Иван Иванов?")
    assert buttons(card) == ["Да, закрыть доступ", "Отмена"]
    admin.press(card, "Отмена")  # nothing happens without the confirmation
    card = await admin.edited(card, "Сотрудник: Иван Иванов — редактор")
    reporter.send("/help")
    await reporter.expect("Вы — редактор")

    admin.press(card, "Закрыть доступ")
    card = await admin.edited(card, "Закрыть доступ: Иван Иванов?")
    admin.press(card, "Да, закрыть доступ")
    card = await admin.edited(card, "Доступ закрыт: Иван Иванов.")
    await reporter.expect("Администратор закрыл Ваш доступ")
    reporter.send("/report")
    await reporter.expect("доступен только по приглашению")

    admin.press(card, "Вернуть доступ")
    await admin.edited(card, "Доступ открыт: Иван Иванов.")
    await reporter.expect("снова открыт")
    reporter.send("/help")
    await reporter.expect("Вы — редактор")
    assert len(await audit_lines(stage, "person.readmit")) == 1


async def test_a_new_invite_re_admits_a_closed_person(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    card = await open_person(admin, "Иван Иванов")
    admin.press(card, "Закрыть доступ")
    admin.press(await admin.edited(card, "Закрыть доступ: Иван Иванов?"), "Да, закрыть доступ")
    await reporter.expect("Администратор закрыл Ваш доступ")
    code = await invite(admin, "Редактор", "Отдел спорта")
    reporter.send(f"/start {code}")
    welcome = await reporter.expect("Добро пожаловать")
    assert "уже зарегистрированы" not in welcome["text"]
    reporter.send("/drafts")
    await reporter.expect("Черновиков, ждущих решения, нет.")
    async with stage.app.uow() as uow:
        again = await uow.people.by_telegram(reporter.user_id)
        assert again.active and again.role == "editor"


async def test_pending_invites_are_listed_and_revoked(stage: Stage, admin: Chat) -> None:
    code = await invite(admin, "Редактор", "Пресс-служба")
    admin.send("/invites")
    listing = await admin.expect("ещё не использованы")
    assert "1. редактор, Пресс-служба — действует до" in listing["text"]
    admin.press(listing, "Отозвать №1")
    await admin.edited(listing, "Приглашение отозвано")
    stage.tg.add_user(4242, "Олег", "Новиков")
    newcomer = Chat(stage, 4242)
    newcomer.send(f"/start {code}")
    await newcomer.expect("Приглашение недействительно")
    admin.send("/invites")
    await admin.expect("Ждущих приглашений нет")


async def test_a_flood_is_stopped_per_person(stage: Stage, admin: Chat, reporter: Chat) -> None:
    stage.app.flood.limit = 5
    stage.app.flood._seen.clear()  # what the invites before took
    for _ in range(8):
        reporter.send("/help")
    await reporter.expect("Слишком много сообщений подряд")
    admin.send("/help")  # another person is not slowed down
    await admin.expect("Вы — администратор")
    assert len(await audit_lines(stage, "access.flood")) == 1
