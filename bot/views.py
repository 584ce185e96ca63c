"""A post as people see it (PostView), read from one unit of work; shared by the use cases."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import PostView
from bot.domain import MediaKind
from bot.errors import NotFound
from bot.media import MediaStore
from bot.polls_model import poll_of
from bot.ports import MediaItem
from storage.models import Attachment, Post
from storage.uow import UnitOfWork


async def get_post(uow: UnitOfWork, post_id: int) -> Post:
    post = await uow.posts.get(post_id)
    if post is None:
        raise NotFound("Этого черновика больше нет.")
    return post


async def load_view(
    uow: UnitOfWork, media: MediaStore, post_id: int, networks: bool = True
) -> PostView:
    """The post with what it has: its parts (media, own texts, poll, broadcast, contest) read
    only when it has them. `networks=False` leaves its networks' rows out (a send needs none;
    its outcome reads them again under the post's lock)."""
    found = await uow.posts.with_parts(post_id)
    if found is None:
        raise NotFound("Этого черновика больше нет.")
    post, parts = found
    report = await uow.reports.get(post.report_id)
    author = await uow.people.get(report.author_id) if report else None
    department = await uow.departments.get(report.department_id) if report else None
    attachments = await uow.posts.attachments(post_id) if "media" in parts else ()
    has_additions = "broadcast" in parts or "contest" in parts
    return PostView(
        post=post,
        report=report,
        author=author,
        department=department.name if department else "",
        media=media_items(media, attachments),
        publications=await uow.publications.for_post(post_id) if networks else [],
        decided_by=await uow.people.get(post.decided_by) if post.decided_by else None,
        poll=poll_of(await uow.formats.poll(post_id)) if "poll" in parts else None,
        texts=await uow.post_texts.of(post_id) if "texts" in parts else {},
        additions=await uow.formats.additions(post_id) if has_additions else (),
    )


def media_items(media: MediaStore, attachments: Sequence[Attachment]) -> tuple[MediaItem, ...]:
    return tuple(
        MediaItem(
            MediaKind(a.kind),
            a.filename,
            a.mime_type,
            media.path_for(a.sha256),
            a.telegram_file_id,
            a.size,
        )
        for a in attachments
    )
