"""The words people read (issue 9, items 10-17): each says what happened and what to tap next,
the same in Telegram and VK."""

from __future__ import annotations

from sandbox.stage import Stage
from tests.e2e.conftest import PHOTO_A, Chat, answer_until_attachments, buttons


async def test_the_attachment_step_says_what_it_waits_for(stage: Stage, reporter: Chat) -> None:
    prompt = await answer_until_attachments(
        reporter, "Субботник", "Сегодня", "Парк", "Убрали парк."
    )
    assert "Пришлите фото или видео, можно и документы (PDF" in prompt["text"]
    reporter.send("и ещё: пришли дети")  # text, not a file
    said = await reporter.expect("Здесь я жду вложения: фото или видео, можно и документы")
    assert "Такой файл" not in said["text"]
    reporter.stage.tg.user_sends_sticker(reporter.user_id)
    refusal = await reporter.expect("Такой файл я не могу принять")
    assert "фото или видео, можно и документы (PDF" in refusal["text"]

    stage.tg.user_sends_photos(reporter.user_id, [PHOTO_A])
    status = await reporter.expect("Получено вложений: 1")
    assert buttons(status) == ["Готово"]
    await stage.tg.wait_until(lambda: buttons(reporter.current(prompt)) == ["Готово"])
    # «Без вложений» pressed on a client that had not caught up with the edit
    stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, prompt["message_id"], "r1:media:none"
    )
    await reporter.expect("Вложения уже получены — они останутся")
    summary = await reporter.expect("Проверьте:")
    assert "вложений: 1" in summary["text"]
