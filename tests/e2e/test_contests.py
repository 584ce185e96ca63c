"""Contests end to end (issue 11): an editor adds a contest to a draft (rules, end, number of
winners), it goes out everywhere; residents take part by commenting; at the end the bot lists
the eligible participants per network from the comments moderation keeps (one entry per
person, the desk's own people, the office's accounts and banned authors left out), draws the
winner reproducibly, writes it in the audit log and drafts the results post, which goes out
once when approved; `pressdesk contest redraw N` gives the same winner."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from bot import offline
from bot.contests import draw, list_hash
from sandbox.stage import CHANNEL_ID, DISCUSSION_ID, VK_GROUP_ID, Stage
from storage.formats import Contest
from storage.models import Comment, Person
from tests.e2e.conftest import (
    TIMEOUT,
    Chat,
    audit_lines,
    buttons,
    landed,
    report_event,
    wall,
)

RULES = "Разыгрываем два билета на новогоднюю ёлку в доме культуры."
RESIDENTS = {700101: ("Сергей", "Кузнецов"), 700102: ("Ольга", "Миронова")}
BANNED = 700103  # banned by the editors under an earlier post
STAFF_VK = 700104  # a department head, one of the desk's people
OFFICE_VK = 700105  # the office's own account, named in [formats] staff_accounts
TG_RESIDENT = 600001
EDITOR_ID = 3001


async def comments_stored(stage: Stage, vk: int, telegram_authors: set[int]) -> None:
    """Moderation has stored `vk` comments under the VK post and one of each Telegram author."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with stage.app.uow() as uow:
                found = (await uow.session.exec(select(Comment))).all()
            under = [c for c in found if c.network == "vk" and c.post_ref != "424242"]
            authors = {c.author_id for c in found if c.network == "telegram"}
            if len(under) >= vk and telegram_authors <= authors:
                return
            await stage.vk.state.wait_changed(0.05)


async def test_contest_draw_is_reproducible_and_never_picks_staff_or_banned(
    tmp_path, reporter: Chat, editor: Chat, stage: Stage
) -> None:
    stage.app.contests._staff_accounts.add(f"vk:{OFFICE_VK}")
    for vk_id, (first, last) in {
        **RESIDENTS,
        BANNED: ("Павел", "Забаненный"),
        STAFF_VK: ("Иван", "Иванов"),
        OFFICE_VK: ("Пресс", "Служба"),
    }.items():
        stage.vk.add_user(vk_id, first, last)
    stage.tg.add_user(TG_RESIDENT, "Анна", "Жукова")
    async with stage.app.uow() as uow:
        now = stage.app.clock()
        await uow.people.add(
            Person(full_name="Иван Иванов", role="reporter", vk_id=STAFF_VK, created_at=now)
        )
        uow.session.add(  # the editors banned him under another post
            Comment(
                network="vk",
                external_id="9999",
                post_ref="424242",
                author_id=BANNED,
                text="…",
                written_at=now,
                seen_at=now,
                state="banned",
            )
        )
        await uow.commit()

    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "+ Конкурс")
    await editor.expect("Напишите условия")
    editor.send(RULES)
    await editor.expect("Когда подводим итоги?")
    editor.send("завтра 12:00")
    await editor.expect("Сколько победителей?")
    editor.send("ноль")
    await editor.expect("Напишите число победителей от 1 до 100")
    editor.send("1")
    preview = await editor.expect("Конкурс добавлен")
    assert f"Конкурс! {RULES}" in preview["text"]
    assert "оставьте комментарий под этой публикацией" in preview["text"]
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    [post] = wall(stage)
    assert RULES in post["text"]

    # residents take part; a resident twice; staff, the office and a banned author comment too
    for author in (700101, 700102, 700101, BANNED, STAFF_VK, OFFICE_VK):
        stage.vk.post_comment(-VK_GROUP_ID, post["id"], author, "Участвую! Хочу на ёлку")
    forward = next(
        m for m in stage.tg.chat_messages(DISCUSSION_ID) if m.get("is_automatic_forward")
    )
    for author in (TG_RESIDENT, EDITOR_ID):
        stage.tg.user_sends_text(
            author,
            "Участвую!",
            chat_id=DISCUSSION_ID,
            reply_to_message_id=forward["message_id"],
        )
    await comments_stored(stage, 6, {TG_RESIDENT})

    async with stage.app.uow() as uow:  # the contest's time comes
        await uow.session.exec(
            update(Contest).values(ends_at=stage.app.clock() + timedelta(seconds=1))
        )
        await uow.commit()
    summary = await editor.expect("Жеребьёвка конкурса", within=30)
    assert "участников 3 (" in summary["text"]
    assert "ВКонтакте: 2" in summary["text"] and "Telegram: 1" in summary["text"]
    listed = summary["text"].split("Участники (", 1)[1]  # the list per network, once each
    assert "Иванов" not in listed and "Забаненный" not in listed and "Служба" not in listed
    assert listed.count("\nВКонтакте: ") == 1 and listed.count("\nTelegram: ") == 1

    async with stage.app.uow() as uow:
        contest = await uow.formats.contest(1)
    entries = json.loads(contest.participants)
    assert entries == sorted(["vk:700101", "vk:700102", f"telegram:{TG_RESIDENT}"])
    [winner] = json.loads(contest.chosen)
    assert winner in entries
    assert draw(entries, contest.seed, 1) == [winner]  # the same inputs, the same winner
    assert contest.list_hash == list_hash(entries)
    assert contest.seed in summary["text"] and contest.list_hash in summary["text"]
    [line] = await audit_lines(stage, "contest.draw")
    assert contest.seed in line.details and f"winners={winner}" in line.details

    # the results post: a draft for approval, out once when approved
    results = await editor.expect("Итоги конкурса")
    assert "Одобрить" in buttons(results)
    editor.press(results, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    editor.press(await editor.edited(ask, "Куда публикуем"), "Готово")
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    outcome = [p for p in wall(stage) if "Итоги конкурса" in p["text"]]
    assert len(outcome) == 1
    name = {"vk:700101": "Сергей Кузнецов", "vk:700102": "Ольга Миронова"}.get(
        winner, "Анна Жукова"
    )
    assert name in outcome[0]["text"]
    assert len([m for m in stage.tg.chat_messages(CHANNEL_ID) if "Итоги" in m.get("text", "")]) == 1

    # anyone can run the draw again: the same winner
    out = io.StringIO()
    assert await offline.contest_redraw(stage.app.config, 1, out) == 0
    assert f"Победители заново: {winner}" in out.getvalue()
    assert "Совпадает с записанным результатом." in out.getvalue()
    # and the sweep never draws it twice
    await stage.app.contests.sweep()
    assert len(await audit_lines(stage, "contest.draw")) == 1
