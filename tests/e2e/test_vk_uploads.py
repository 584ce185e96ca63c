"""VK publications made of parts: photos uploaded for a post whose wall.post failed are kept
with the publication's parts, so «Повторить» after a restart attaches the same photos instead of
uploading them again; a post whose poll was made before wall.post is still edited and deleted as
the wall post."""

from __future__ import annotations

from sandbox.stage import Stage
from tests.e2e.conftest import Chat, approve_now, landed, report_event, wall
from tests.e2e.test_polls import add_poll


def saved_photos(stage: Stage) -> int:
    """Photos VK keeps (a saveWallPhoto refused for the pace and made again is not counted)."""
    return len(stage.vk.state.photos)


async def test_a_retry_after_a_restart_reuses_the_photos_already_uploaded(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)  # two photos
    card = await editor.expect("Новое сообщение № 1")
    stage.vk.inject_fault("wall.post", "error", count=1, error_code=214)  # refused, not retried
    editor.press(card, "Одобрить")
    await approve_now(editor)
    failure = await editor.expect("Не удалось опубликовать")
    assert "ВКонтакте" in failure["text"] and wall(stage) == []
    assert saved_photos(stage) == 2

    await stage.stop_app()
    await stage.start_app()  # nothing of the first attempt is left in memory
    editor.press(failure, "Повторить")
    await landed(editor, "ВКонтакте")
    [post] = wall(stage)
    photos = [a["photo"] for a in post["attachments"] if a["type"] == "photo"]
    assert len(photos) == 2
    assert saved_photos(stage) == 2  # the same two: none uploaded again

    async with stage.app.uow() as uow:  # people never see the uploads as published parts
        row = await uow.outbox.of_post(1, "vk")
        assert row is not None and row.url and row.url.startswith("https://vk.com/wall-")


async def test_a_vk_post_with_a_poll_is_deleted_from_the_wall(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    """The poll is a part written before wall.post: the wall post is still the one deleted."""
    await report_event(reporter, photos=())
    preview = await add_poll(editor, await editor.expect("Новое сообщение № 1"))
    editor.press(preview, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники")
    assert len(wall(stage)) == 1
    published = [m for m in editor.bot_messages() if "Опубликовано" in (m.get("text") or "")]
    editor.press(published[-1], "Удалить везде")
    question = await editor.expect("Удалить «")
    editor.press(question, "Да, удалить везде")
    gone = (await editor.edited(question, "удалена:"))["text"]
    assert "ВКонтакте" not in gone.partition("Не удалена")[2], gone
    assert wall(stage) == []
