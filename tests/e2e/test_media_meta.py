"""A reporter's video on Facebook (a Page video) and Instagram (a Reel), switched on for these
tests, beside the networks ticked by default: each gets it once (issue 11)."""

from __future__ import annotations

from sandbox.stage import FB_PAGE_ID, IG_USER_ID, Stage
from tests.e2e import test_meta_publish
from tests.e2e.conftest import Chat, landed
from tests.e2e.test_media_formats import DOCS_AND_VIDEO, VIDEO, approve_where, send_report, text_of

# the same stage with Facebook and Instagram on, and its people
stage = test_meta_publish.stage
admin = test_meta_publish.admin
reporter = test_meta_publish.reporter
editor = test_meta_publish.editor


async def test_a_video_goes_to_facebook_and_instagram_reels_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await send_report(reporter, [("video", VIDEO, "ролик.mp4")])
    card = await editor.expect("Новое сообщение № 1")
    assert "Facebook: ✗" not in text_of(card) and "Instagram: ✗" not in text_of(card)
    ticked = await approve_where(editor, card)
    assert {"✓ Facebook", "✓ Instagram", "✓ Telegram", "✓ ВКонтакте"} <= set(ticked)
    published = await landed(editor, "Facebook", "Instagram", "Telegram", "ВКонтакте")
    assert "https://www.instagram.com/p/" in published

    videos = stage.graph.state.of_type("video", FB_PAGE_ID)
    assert [v["data"] for v in videos] == [VIDEO]
    [reel] = stage.graph.ig_media(IG_USER_ID)
    assert reel["media_type"] == "VIDEO" and reel["images"] == [VIDEO]
    [container] = [c for c in stage.graph.state.of_type("container", IG_USER_ID)]
    assert container["media_type"] == "REELS"


async def test_documents_are_refused_by_facebook_and_instagram_before_approval(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await send_report(reporter, DOCS_AND_VIDEO)
    card = await editor.expect("Новое сообщение № 1")
    said = text_of(card)
    assert "Facebook: ✗ документы Facebook в публикации Страницы не принимает" in said
    assert "Instagram: ✗ документы Instagram не принимает" in said
    ticked = await approve_where(editor, card)
    assert "✓ Facebook" not in ticked and "✓ Instagram" not in ticked
    await landed(editor, "Telegram", "ВКонтакте", "MAX")
    assert stage.graph.ig_media(IG_USER_ID) == [] and stage.graph.feed(FB_PAGE_ID) == []
