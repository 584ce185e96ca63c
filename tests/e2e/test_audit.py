"""The audit log: readable Russian lines, filters, CSV in chat, and the hash chain that
`pressdesk audit verify` checks (an altered, a deleted or a cut-off line is found; an
anonymised one is not a break)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import text
from sqlmodel import select

from bot import offline
from bot.dates import utcnow
from sandbox.stage import Stage
from storage.audit import anonymise
from storage.models import AuditLog
from tests.e2e.conftest import TIMEOUT, Chat, approve_now, report_event


async def test_lines_read_as_sentences_and_filter_and_export(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, title="Открытие спортивной площадки", photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await editor.expect("Опубликовано")

    admin.send("/audit")
    log = (await admin.expect("Журнал действий"))["text"]
    assert "Мария Соколова одобрила публикацию №1 «Открытие спортивной площадки" in log
    assert "Иван Иванов прислал сообщение №1" in log
    assert "Анна Петрова создала приглашение" in log
    assert "post.approve" not in log

    admin.send("/audit Иванов")
    mine = (await admin.expect("по фильтру"))["text"]
    assert "Иван Иванов прислал" in mine and "Мария Соколова" not in mine
    admin.send("/audit публикация 1")
    about = (await admin.expect("по фильтру"))["text"]
    assert "одобрила публикацию №1" in about and "приглашение" not in about

    today = stage.app.clock().astimezone(stage.app.config.desk.tz)
    admin.send(f"/audit {today:%d.%m}")
    assert "одобрила публикацию №1" in (await admin.expect("по фильтру"))["text"]
    admin.send("/audit 01.01.2020-02.01.2020")
    assert "Записей нет." in (await admin.expect("по фильтру"))["text"]

    admin.send("/audit csv")
    sent = await stage.tg.wait_until(
        lambda: next((m for m in admin.bot_messages() if m.get("document")), None), timeout=TIMEOUT
    )
    rows = list(
        csv.reader(
            io.StringIO(stage.tg.file_bytes(sent["document"]["file_id"]).decode("utf-8-sig"))
        )
    )
    assert rows[0][:4] == ["№", "время", "кто", "что"]
    assert any("одобрила публикацию №1" in row[3] for row in rows[1:])
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])


async def test_verify_finds_an_altered_a_deleted_and_a_cut_line(
    stage: Stage, admin: Chat, reporter: Chat, capsys
) -> None:
    await report_event(reporter, photos=())
    config = stage.app.config
    await stage.stop_app()  # the command runs with the bot stopped, as an IT person would
    assert await offline.audit_verify(config) == 0
    assert "цепочка не нарушена" in capsys.readouterr().out

    # Anonymising a line (retention, /forget) keeps the chain whole.
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWork

    engine = create_engine(config.database.url)
    async with UnitOfWork(session_factory(engine)) as uow:
        row = (await uow.session.exec(select(AuditLog).where(AuditLog.seq == 1))).one()
        assert anonymise(row, utcnow())
        uow.session.add(row)
        await uow.commit()
    assert await offline.audit_verify(config) == 0
    capsys.readouterr()

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE auditlog SET action = 'post.reject' WHERE seq = 2"))
    assert await offline.audit_verify(config) == 1
    assert "Запись №2 изменена" in capsys.readouterr().out

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE auditlog SET action = 'invite.create' WHERE seq = 2"))
        await conn.execute(text("UPDATE auditlog SET details = 'подделка' WHERE seq = 3"))
    assert await offline.audit_verify(config) == 1
    assert "Запись №3: изменены автор или подробности" in capsys.readouterr().out

    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM auditlog WHERE seq = 3"))
    assert await offline.audit_verify(config) == 1
    assert "Пропали записи №3" in capsys.readouterr().out

    async with engine.begin() as conn:
        last = (await conn.execute(text("SELECT max(seq) FROM auditlog"))).scalar_one()
        await conn.execute(text("DELETE FROM auditlog WHERE seq = :s"), {"s": last})
    assert await offline.audit_verify(config) == 1
    assert "Последние записи удалены" in capsys.readouterr().out
    await engine.dispose()
