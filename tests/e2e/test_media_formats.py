"""Photos, video and documents from a report to every network that takes them (issue 11).

Each format goes out once on each network that takes it; a network that cannot take a format
says so on the draft card, is left unticked, and the others still get the post; what a file
really is comes from its bytes, never from its name or the chat's claim."""

from __future__ import annotations

from sandbox.stage import MAX_CHANNEL_ID, OK_GROUP_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import (
    PHOTO_A,
    Chat,
    answer_until_attachments,
    buttons,
    channel_posts,
    landed,
    wall,
)
from tests.e2e.test_vk_reporter import join_vk, labels, start_report

VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"video-frames" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 10
TEXT = "Итоги конкурса «Лучший двор»: победители и призы."
DOCS_AND_VIDEO = [("video", VIDEO, "ролик.mp4"), ("document", PDF, "призы.pdf")]


def text_of(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


async def send_report(reporter: Chat, files: list[tuple[str, bytes, str]]) -> None:
    """A Telegram report with these files: ("video", data, name) or ("document", data, name)."""
    await answer_until_attachments(reporter, "Лучший двор", "Вчера", "Томский район", TEXT)
    statuses: list[dict] = []
    for count, (kind, data, name) in enumerate(files, start=1):
        if kind == "video":
            reporter.stage.tg.user_sends_video(reporter.user_id, data)
        else:
            reporter.stage.tg.user_sends_document(reporter.user_id, data, name, "application/pdf")
        if not statuses:
            statuses.append(await reporter.expect("Получено вложений: 1"))
        status = statuses[0]
        await reporter.tg.wait_until(
            lambda n=count, s=status: f"Получено вложений: {n}" in reporter.current(s)["text"]
        )
    reporter.press(reporter.current(statuses[0]), "Готово")
    summary = await reporter.expect("Проверьте:")
    reporter.press(summary, "Отправить")
    await reporter.edited(summary, "Сообщение № ")


async def approve_where(editor: Chat, card: dict) -> list[str]:
    """«Одобрить» → «Сейчас»; the networks ticked by default; then «Готово»."""
    editor.press(card, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    ticked = buttons(where)
    editor.press(where, "Готово")
    return ticked


def only(items: list[dict], what: str) -> dict:
    assert len(items) == 1, f"expected one {what}, got {len(items)}"
    return items[0]


async def test_video_and_document_reach_every_network_that_takes_them_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await send_report(reporter, DOCS_AND_VIDEO)
    card = await editor.expect("Новое сообщение № 1")
    said = text_of(card)
    assert "1 видео, 1 документ" in said
    # OK's topics take no files: said before approval, with the reason; the others are fine
    assert "Одноклассники: ✗ документы эта сеть не принимает" in said
    assert "ВКонтакте: ✗" not in said and "MAX: ✗" not in said
    assert "документы уйдут отдельным сообщением" in said  # Telegram: no album of mixed kinds
    ticked = await approve_where(editor, card)
    assert {"✓ Telegram", "✓ ВКонтакте", "✓ MAX"} <= set(ticked)
    assert "✓ Одноклассники" not in ticked
    await landed(editor, "Telegram", "ВКонтакте", "MAX")

    posts = channel_posts(stage)
    video = only([m for m in posts if m.get("video")], "channel video")
    doc = only([m for m in posts if m.get("document")], "channel document")
    assert stage.tg.file_bytes(video["video"]["file_id"]) == VIDEO
    assert TEXT in video["caption"]  # the text rides with the first part
    assert stage.tg.file_bytes(doc["document"]["file_id"]) == PDF
    assert doc["document"]["file_name"] == "призы.pdf"

    post = only(wall(stage), "wall post")
    assert TEXT in post["text"]
    assert [a["type"] for a in post["attachments"]] == ["video", "doc"]
    vk_video, vk_doc = post["attachments"][0]["video"], post["attachments"][1]["doc"]
    assert vk_video["owner_id"] == -VK_GROUP_ID
    assert stage.vk.video_bytes(vk_video["owner_id"], vk_video["id"]) == VIDEO
    assert stage.vk.doc_bytes(vk_doc["owner_id"], vk_doc["id"]) == PDF
    assert vk_doc["title"] == "призы.pdf" and vk_doc["ext"] == "pdf"
    assert len(stage.vk.state.videos) == 1 and len(stage.vk.state.docs) == 1  # uploaded once

    message = only(stage.max.posts(MAX_CHANNEL_ID), "MAX post")
    attachments = message["body"]["attachments"]
    assert [a["type"] for a in attachments] == ["video", "file"]
    assert [stage.max.attachment_bytes(a) for a in attachments] == [VIDEO, PDF]

    assert stage.ok.topics(OK_GROUP_ID) == []  # refused in the check, never tried
    assert stage.ok.calls("mediatopic.post") == []


async def test_a_vk_reporters_video_goes_out_on_all_four_networks(
    stage: Stage, admin: Chat, editor: Chat
) -> None:
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Лучший двор")
    person.press(await person.expect("Когда оно прошло?"), "Вчера")
    await person.expect("Где?")
    person.send("Томский район")
    await person.expect("Коротко опишите")
    person.send(TEXT)
    await person.expect("Пришлите фото или видео")
    # A VK video without download links can't be fetched: the person hears how to send it.
    person.send(attachments=[stage.vk.message_video(person.user_id, VIDEO, with_files=False)])
    refused = await person.expect("не даёт боту скачать")
    assert "«Прикрепить» → «Файл»" in refused["text"]
    assert labels(refused) == ["Готово", "Без вложений"]
    person.send(attachments=[stage.vk.message_video(person.user_id, VIDEO)])
    status = await person.expect("Получено вложений: 1")
    person.press(status, "Готово")
    summary = await person.expect("Проверьте:")
    person.press(summary, "Отправить")
    await person.expect("передано в пресс-службу")

    card = await editor.expect("Новое сообщение № 1")
    assert "1 видео" in text_of(card) and "✗" not in text_of(card)
    ticked = await approve_where(editor, card)
    assert {"✓ Telegram", "✓ ВКонтакте", "✓ Одноклассники", "✓ MAX"} <= set(ticked)
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX")

    video = only([m for m in channel_posts(stage) if m.get("video")], "channel video")
    assert stage.tg.file_bytes(video["video"]["file_id"]) == VIDEO
    post = only(wall(stage), "wall post")
    [attachment] = post["attachments"]
    assert attachment["type"] == "video"
    assert stage.vk.video_bytes(-VK_GROUP_ID, attachment["video"]["id"]) == VIDEO
    topic = only(stage.ok.topics(OK_GROUP_ID), "OK topic")
    [ok_video] = topic["videos"]
    assert stage.ok.video_bytes(ok_video["id"]) == VIDEO and TEXT in topic["text"]
    assert len(stage.ok.calls("video.getUploadUrl")) == 1
    message = only(stage.max.posts(MAX_CHANNEL_ID), "MAX post")
    [max_video] = message["body"]["attachments"]
    assert max_video["type"] == "video" and stage.max.attachment_bytes(max_video) == VIDEO


async def test_a_vk_document_and_a_video_sent_as_a_file(stage: Stage, admin: Chat) -> None:
    """«Прикрепить» → «Файл»: a PDF stays a document, an MP4 is a video by its bytes, a PDF named
    «.txt» is a PDF, and a text file named like a photo is refused without losing what came
    before."""
    person = await join_vk(stage, admin)
    await start_report(person)
    person.send("Лучший двор")
    person.press(await person.expect("Когда оно прошло?"), "Вчера")
    await person.expect("Где?")
    person.send("Томский район")
    await person.expect("Коротко опишите")
    person.send(TEXT)
    await person.expect("Пришлите фото или видео")
    uid = person.user_id
    person.send(attachments=[stage.vk.message_doc(uid, PDF, "призы.pdf")])
    await person.expect("Получено вложений: 1")
    person.send(attachments=[stage.vk.message_doc(uid, b"just some notes\n", "фото.jpg")])
    refused = await person.expect("внутри не фото, не видео и не документ")
    assert "«фото.jpg»" in refused["text"]
    person.send(attachments=[stage.vk.message_doc(uid, VIDEO, "ролик.mp4")])
    await person.expect("Получено вложений: 2")
    person.send(attachments=[stage.vk.message_doc(uid, PDF, "заметки.txt")])  # a PDF all the same
    status = await person.expect("Получено вложений: 3")
    person.press(status, "Готово")
    summary = await person.expect("Проверьте:")
    assert "вложений: 3" in summary["text"]
    person.press(summary, "Отправить")
    await person.expect("передано в пресс-службу")
    async with stage.app.uow() as uow:
        kinds = [(a.kind, a.filename) for a in await uow.posts.attachments(1)]
    assert kinds == [("document", "призы.pdf"), ("video", "ролик.mp4"), ("document", "заметки.pdf")]


async def test_a_text_file_sent_as_a_photo_in_telegram_is_refused(
    stage: Stage, reporter: Chat
) -> None:
    await answer_until_attachments(reporter, "Лучший двор", "Вчера", "Томский район", TEXT)
    tg = stage.tg
    tg.user_sends_photos(reporter.user_id, [b"this is a text file, not a picture\n"])
    refused = await reporter.expect("не могу принять")
    assert "внутри не фото, не видео и не документ" in refused["text"]
    tg.user_sends_document(reporter.user_id, b"notes\n", "photo.jpg", "image/jpeg")
    refused = await reporter.expect("«photo.jpg» я не могу принять")
    assert buttons(refused) == ["Готово", "Без вложений"]  # nothing was kept from either
    tg.user_sends_photos(reporter.user_id, [PHOTO_A])
    status = await reporter.expect("Получено вложений: 1")
    reporter.press(status, "Готово")
    summary = await reporter.expect("Проверьте:")
    assert "вложений: 1" in summary["text"] and "Лучший двор" in summary["text"]
