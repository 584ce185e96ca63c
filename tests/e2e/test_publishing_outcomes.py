"""What each network's outcome does: an answer lost after the post went out, a body that cannot
be read, an album whose text failed, VK's guid and its one-hour window. Real aiogram and
vkbottle clients against the emulators; waits on conditions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from bot.domain import PublicationState
from sandbox.stage import CHANNEL_ID, Stage
from storage.models import Publication
from tests.e2e.conftest import (
    Chat,
    audit_lines,
    buttons,
    channel_posts,
    report_event,
    wall,
)

LONG = "Подробности мероприятия. " * 60  # longer than a caption: album, then the text


async def publication(stage: Stage, network: str) -> Publication:
    async with stage.app.uow() as uow:
        row = (
            await uow.session.exec(select(Publication).where(Publication.network == network))
        ).one()
        await uow.session.refresh(row)
        return row


async def approve_for_now(
    editor: Chat, only: str = "", fault: Callable[[], None] | None = None
) -> None:
    """Approve the draft card for «Сейчас»; `only` keeps just that network; `fault` is armed
    once the editors' own cards are out."""
    card = await editor.expect("Новое сообщение № 1")
    if fault is not None:
        fault()
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    await editor.edited(ask, "Куда публикуем")
    while only and (
        others := [b for b in buttons(editor.current(ask)) if b.startswith("✓ ") and only not in b]
    ):
        editor.press(editor.current(ask), others[0])  # untick every other network, one by one
        await editor.tg.wait_until(lambda o=others[0]: o not in buttons(editor.current(ask)))
    editor.press(editor.current(ask), "Готово")


async def test_telegram_answer_lost_after_posting_asks_and_yes_it_is_out(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)  # two photos: the channel gets them with sendMediaGroup
    lose = lambda: stage.tg.inject_fault("sendMediaGroup", "lost_response")  # noqa: E731
    await approve_for_now(editor, only="Telegram", fault=lose)
    ask = await editor.expect("Возможно, опубликовано", within=30)
    assert "Проверьте: https://t.me/tomsk_district_demo" in ask["text"]
    assert buttons(ask) == ["Да, вышло", "Опубликовать снова"]
    assert len(channel_posts(stage)) == 2  # the album went out once and was not sent again
    assert (await publication(stage, "telegram")).state == PublicationState.uncertain

    editor.press(ask, "Да, вышло")
    await editor.edited(ask, "Отмечено")
    assert (await publication(stage, "telegram")).state == PublicationState.published
    [line] = await audit_lines(stage, "publication.confirmed_out")
    assert line.actor_id is not None
    await reporter.expect("Опубликовано")
    assert len(channel_posts(stage)) == 2


async def test_unreadable_answer_is_uncertain_and_publish_again_sends_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    garble = lambda: stage.tg.inject_fault("sendMediaGroup", "garbled")  # noqa: E731
    await approve_for_now(editor, only="Telegram", fault=garble)  # posted, the body cut off
    ask = await editor.expect("Возможно, опубликовано", within=30)
    assert len(channel_posts(stage)) == 2

    editor.press(ask, "Опубликовать снова")
    await editor.edited(ask, "Публикую «")
    await editor.expect("Опубликовано")
    assert len(channel_posts(stage)) == 4  # exactly one more album, as the editor asked
    assert len(await audit_lines(stage, "publication.publish_again")) == 1


async def test_album_then_text_retry_sends_only_the_text(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, description=LONG)
    await approve_for_now(editor, only="Telegram")
    # The text after the album is refused once (429): the retry must not send the album again.
    stage.tg.inject_fault("sendMessage", "429", retry_after=1)
    landed = await editor.expect("Опубликовано", within=30)
    assert "Telegram: https://t.me/" in landed["text"]
    posts = channel_posts(stage)
    assert len(posts) == 3 and "Подробности" in (posts[2].get("text") or "")
    albums = [
        c for c in stage.tg.calls if c[0] == "sendMediaGroup" and c[1]["chat_id"] == CHANNEL_ID
    ]
    assert len(albums) == 1  # the retry sent only the text


async def test_vk_answer_lost_completes_by_guid(stage: Stage, reporter: Chat, editor: Chat) -> None:
    await report_event(reporter, photos=())
    stage.vk.fault_timeout = 1.0  # the post is made, then the answer never comes
    stage.vk.inject_fault("wall.post", "lost_response")
    await approve_for_now(editor, only="ВКонтакте")
    landed = await editor.expect("Опубликовано", within=30)
    [post] = wall(stage)
    assert f"_{post['id']}" in landed["text"]
    calls = [r for r in stage.vk.requests if r[0] == "wall.post"]
    assert len(calls) == 2 and calls[0][1]["guid"] == calls[1][1]["guid"]


async def crash_state(stage: Stage, hours_ago: float) -> Publication:
    """The VK row as a crash leaves it: sent long ago, the answer never written down."""
    async with stage.app.uow() as uow:
        row = (await uow.session.exec(select(Publication).where(Publication.network == "vk"))).one()
        now = stage.app.clock()
        row.state, row.external_id, row.url = PublicationState.sending, None, None
        row.first_sent_at = now - timedelta(hours=hours_ago)
        row.lease_until = now - timedelta(seconds=1)
        row.claimed_by = "an-instance-that-died"
        uow.session.add(row)
        await uow.commit()
        return row


async def test_vk_past_the_guid_window_finds_the_post_on_the_wall(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    await approve_for_now(editor, only="ВКонтакте")
    await editor.expect("Опубликовано", within=30)
    [post] = wall(stage)
    await crash_state(stage, hours_ago=2)
    posted_before = sum(r[0] == "wall.post" for r in stage.vk.requests)

    assert await stage.app.outbox.reconcile() == 1
    row = await publication(stage, "vk")
    assert row.state == PublicationState.published and row.external_id == str(post["id"])
    assert sum(r[0] == "wall.post" for r in stage.vk.requests) == posted_before  # read, not sent
    assert len(wall(stage)) == 1


async def test_vk_past_the_window_not_on_the_wall_is_sent(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    await approve_for_now(editor, only="ВКонтакте")
    await editor.expect("Опубликовано", within=30)
    [post] = wall(stage)
    stage.vk.state.posts[post["owner_id"]].pop(post["id"])  # it never made it after all
    stage.vk.state.guids.clear()  # and VK forgot the guid (an hour passed)
    await crash_state(stage, hours_ago=2)

    assert await stage.app.outbox.reconcile() == 1
    await editor.expect("Опубликовано", within=30)
    assert len(wall(stage)) == 1
