"""Names the whole desk shares: roles, states and networks."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    reporter = "reporter"
    editor = "editor"
    admin = "admin"

    @property
    def title(self) -> str:
        return {
            "reporter": "руководитель подразделения",
            "editor": "редактор",
            "admin": "администратор",
        }[self.value]

    def can_edit(self) -> bool:
        return self in (Role.editor, Role.admin)


class PostState(StrEnum):
    draft = "draft"
    approved = "approved"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    rejected = "rejected"
    cancelled = "cancelled"
    deleted = "deleted"  # published, then removed from every network (bot/corrections.py)

    @property
    def title(self) -> str:
        return {
            "deleted": "удалено из сетей",
            "draft": "ждёт решения",
            "approved": "одобрено, время не выбрано",
            "scheduled": "запланировано",
            "publishing": "публикуется",
            "published": "опубликовано",
            "failed": "не удалось опубликовать",
            "rejected": "отклонено",
            "cancelled": "публикация отменена",
        }[self.value]


class PublicationState(StrEnum):
    """One post on one network, as a row of the outbox (bot/publishing.py).

    pending: chosen, the post not scheduled yet; scheduled: waiting for its `due_at`;
    sending: claimed by one instance (under a lease), its request may be on the way;
    published; failed: a person must act («Повторить»); uncertain: the request may have been
    applied and nobody knows, a person is asked («Да, вышло» / «Опубликовать снова»).
    publishing is the pre-outbox name of sending, still read from old databases."""

    pending = "pending"
    scheduled = "scheduled"
    sending = "sending"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    uncertain = "uncertain"
    deleted = "deleted"  # was published, removed from the network by an editor


class Network(StrEnum):
    telegram = "telegram"
    vk = "vk"
    facebook = "facebook"
    instagram = "instagram"
    ok = "ok"
    max = "max"

    @property
    def title(self) -> str:
        return {
            "telegram": "Telegram",
            "vk": "ВКонтакте",
            "facebook": "Facebook",
            "instagram": "Instagram",
            "ok": "Одноклассники",
            "max": "MAX",
        }[self.value]


class MediaKind(StrEnum):
    photo = "photo"
    video = "video"
    document = "document"

    @property
    def short(self) -> str:
        return {"photo": "фото", "video": "видео", "document": "документ"}[self.value]

    @property
    def plural(self) -> str:
        """As in «Сеть не принимает …»."""
        return {"photo": "фото", "video": "видео", "document": "документы"}[self.value]

    @property
    def visual(self) -> bool:
        """Shown in the post itself (an album), not as a file to open."""
        return self in (MediaKind.photo, MediaKind.video)
