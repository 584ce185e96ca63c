"""Each adapter's check() says before approval which formats and sizes its network takes."""

from pathlib import Path
from typing import Any

from bot.content import MediaItem
from bot.domain import MediaKind
from bot.ports import OutgoingPost
from networks.max import MaxChannel
from networks.ok import OKGroup
from networks.telegram_channel import TelegramChannel
from networks.vk_wall import VKWall

MB = 1024 * 1024
NOBODY: Any = None  # check() never talks to the network


def media(kind: MediaKind, size: int = 1000, file_id: str | None = None) -> MediaItem:
    name = {"photo": "a.jpg", "video": "v.mp4", "document": "d.pdf"}[kind]
    return MediaItem(kind, name, "x/x", Path("/nonexistent") / name, file_id, size)


PHOTO, VIDEO, DOC = media(MediaKind.photo), media(MediaKind.video), media(MediaKind.document)


def post(*items: MediaItem, text: str = "Текст") -> OutgoingPost:
    return OutgoingPost(1, text, items)


def test_telegram_upload_limits_and_the_album_split() -> None:
    tg = TelegramChannel(NOBODY, "@news")
    assert tg.check(post(PHOTO, VIDEO, DOC)).problems == ()
    assert "документы уйдут отдельным сообщением" in tg.check(post(PHOTO, DOC)).notes[0]
    assert tg.check(post(DOC, DOC)).notes == ()
    [big] = tg.check(post(media(MediaKind.photo, 11 * MB))).problems
    assert "фото «a.jpg» больше 10 МБ (11 МБ)" in big
    [big] = tg.check(post(media(MediaKind.video, 51 * MB))).problems
    assert "видео «v.mp4» больше 50 МБ" in big
    # a file already on Telegram goes by its file_id: no upload, no limit
    assert tg.check(post(media(MediaKind.video, 51 * MB, "BAAC-id"))).problems == ()


def test_vk_takes_video_and_documents_up_to_ten_attachments() -> None:
    vk = VKWall(NOBODY, 1)
    assert vk.check(post(PHOTO, VIDEO, DOC)).problems == ()
    [many] = vk.check(post(*[PHOTO] * 11)).problems
    assert "не больше 10 вложений" in many
    [big] = vk.check(post(media(MediaKind.document, 201 * MB))).problems
    assert "документ «d.pdf» больше 200 МБ" in big


def test_ok_takes_video_but_no_documents() -> None:
    ok = OKGroup(NOBODY, "1")
    assert ok.check(post(PHOTO, VIDEO)).problems == ()
    [refused] = ok.check(post(VIDEO, DOC)).problems
    assert refused.startswith("документы эта сеть не принимает (в темах группы нет файлов)")


def test_max_takes_every_format() -> None:
    channel = MaxChannel(NOBODY, 1, NOBODY)
    assert channel.check(post(PHOTO, VIDEO, DOC)).problems == ()
    assert channel.check(post(text=" ")).problems == ("пустая публикация",)
