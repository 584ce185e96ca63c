"""The admin manages people: a role change, closing access only after a confirmation (and the
person is told), re-admitting a closed person (by button or by a new invite), pending invites
listed and revoked, and a per-person flood limit."""

from __future__ import annotations

from sandbox.stage import Stage
from tests.e2e.conftest import TIMEOUT, Chat, audit_lines, buttons, invite


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
    await reporter.expect("Доступ закрыт.")  # a closed person hears one line, not the welcome

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


async def test_a_flood_is_stopped_in_vk_too(stage: Stage) -> None:
    from sandbox.stage import VK_GROUP_ID
    from storage.models import Person

    vk_id = 800777
    stage.vk.add_user(vk_id, "Ольга", "Смирнова")
    async with stage.app.uow() as uow:
        await uow.people.add(
            Person(
                full_name="Ольга Смирнова",
                role="reporter",
                vk_id=vk_id,
                created_at=stage.app.clock(),
            )
        )
        await uow.commit()
    stage.app.flood.limit = 3
    for _ in range(6):
        stage.vk.user_sends_message(vk_id, VK_GROUP_ID, "помощь")
    await stage.vk.wait_until(
        lambda: any(
            "Слишком много сообщений" in m.get("text", "") for m in stage.vk.sent_messages(vk_id)
        ),
        timeout=TIMEOUT,
    )
    answers = [m.get("text", "") for m in stage.vk.sent_messages(vk_id)]
    assert sum("Слишком много" in a for a in answers) == 1 and len(answers) == 4
