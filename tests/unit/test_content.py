"""The post content model (bot/content.py) as the adapters read it."""

from pathlib import Path

from bot.content import MediaItem, PostContent, megabytes, refusal
from bot.domain import MediaKind
from bot.ports import OutgoingPost


def item(kind: MediaKind, tmp_path: Path, data: bytes = b"x") -> MediaItem:
    path = tmp_path / f"{kind}.bin"
    path.write_bytes(data)
    return MediaItem(kind, f"{kind}.bin", "application/octet-stream", path)


def test_outgoing_post_carries_the_content(tmp_path: Path) -> None:
    photo, video, doc = (item(k, tmp_path) for k in MediaKind)
    content = PostContent("Текст", (photo, doc, video))
    post = OutgoingPost.of(7, content, key="pressdesk-post-7")
    assert post.content == content
    assert (post.post_id, post.key) == (7, "pressdesk-post-7")
    assert post.photos == (photo,) and post.videos == (video,) and post.documents == (doc,)
    assert post.of_kind(MediaKind.photo, MediaKind.video) == (photo, video)
    assert post.kinds == frozenset(MediaKind)
    assert not post.is_empty and PostContent(" ").is_empty


def test_size_known_or_read_from_the_file(tmp_path: Path) -> None:
    assert item(MediaKind.video, tmp_path, b"12345").nbytes == 5
    named = MediaItem(MediaKind.video, "v.mp4", "video/mp4", tmp_path / "gone", size=42)
    assert named.nbytes == 42
    assert MediaItem(MediaKind.video, "v.mp4", "video/mp4", tmp_path / "gone").nbytes == 0


def test_refusal_words() -> None:
    text = refusal([MediaKind.document, MediaKind.video, MediaKind.document])
    assert text == "видео и документы эта сеть не принимает — уберите их или снимите отметку"
    assert megabytes(50 * 1024 * 1024) == "50 МБ" and megabytes(1536 * 1024) == "1,5 МБ"
