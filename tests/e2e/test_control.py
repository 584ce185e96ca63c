"""/month and the report on the 1st, end to end: the summary in chat, the charts as PNG photos,
the XLSX and HTML files; VK's counters come from wall.getById on the VK emulator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest

from sandbox.stage import MAX_CHANNEL_ID, OK_GROUP_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import Chat, approve_now, landed, report_event, wall

PNG = b"\x89PNG\r\n\x1a\n"


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, clock=Clock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)))
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def test_month_report_in_chat_with_charts_and_files(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await admin.expect("Новое сообщение № 1")
    admin.press(card, "Одобрить")
    await approve_now(admin)
    await landed(admin, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    post = wall(stage)[0]
    stage.vk.state.post(-VK_GROUP_ID, post["id"])["views"]["count"] = 42
    stage.vk.state.post(-VK_GROUP_ID, post["id"])["likes"]["count"] = 7
    topic = stage.ok.topics(OK_GROUP_ID)[0]
    topic["counters"] = {"views": 15, "likes": 3, "reshares": 1}
    stage.ok.post_comment(topic["id"], "910000000000001", "Спасибо!")
    stage.max.posts(MAX_CHANNEL_ID)[0]["views"] = 99

    reporter.send("/month")
    refusal = await reporter.expect("администраторы")
    assert "Отчёт за месяц" in refusal["text"]

    before = len(admin.bot_messages())
    admin.send("/month 12.2026")
    summary = await admin.expect("Отчёт о работе за декабрь 2026")
    text = summary["text"]
    assert "Подразделения:" in text and "Модерация комментариев:" in text
    assert "Telegram: 1; ВКонтакте: 1" in text
    assert "ВКонтакте: просмотров 42, лайков 7" in text
    assert "Одноклассники: просмотров 15, лайков 3, репостов 1, комментариев 1" in text
    assert "MAX: просмотров 99\n" in text  # MAX gives views only: no zeros for the rest
    assert "MAX сообщает ботам только просмотры" in text
    assert "не собирает" not in text
    assert "Telegram не даёт ботам число просмотров" in text
    html = await admin.expect("браузера и печати")
    workbook = next(
        m for m in admin.bot_messages()[before:] if (m.get("caption") or "").endswith("(XLSX)")
    )
    photos = [m for m in admin.bot_messages()[before:] if m.get("photo")]
    assert len(photos) >= 2
    for message in photos:
        assert stage.tg.file_bytes(message["photo"][-1]["file_id"]).startswith(PNG)
    book = openpyxl.load_workbook(BytesIO(stage.tg.file_bytes(workbook["document"]["file_id"])))
    assert "Публикации" in book.sheetnames
    page = stage.tg.file_bytes(html["document"]["file_id"]).decode()
    assert "Отчёт о работе за декабрь 2026" in page


async def test_the_report_goes_to_admins_on_the_first(stage: Stage, admin: Chat) -> None:
    job = stage.app.scheduler.scheduler.get_job("control:monthly")
    assert str(job.trigger.fields[5]) == "10" and str(job.trigger.fields[6]) == "0"
    assert await stage.app.control.send_monthly() == 1  # 1 December: November's report
    await admin.expect("Отчёт о работе за ноябрь 2026")
    await admin.expect("браузера и печати")
