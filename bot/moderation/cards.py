"""Russian texts of the moderation cards and the morning digest (chat-agnostic Cards)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cards import clip, short_name, shorten
from bot.dates import stamp
from bot.domain import Network
from bot.ports import Action, Button, Card, DigestPart
from storage.models import Comment, Person

CATEGORY_TITLES = {
    "obscenity": "нецензурная брань",
    "insult": "оскорбление",
    "threat": "угроза",
    "spam": "спам",
    "unlawful": "нарушение закона",
}
# What the card says after a decision, by the comment's final state.
OUTCOMES = {
    "deleted": "Удалён",
    "banned": "Удалён, автор заблокирован",
    "kept": "Оставлен",
    "hidden": "Скрыт",
    "restored": "Возвращён",
    "dismissed": "Убран из очереди",
}
PAST_DEADLINE = (
    "Telegram уже не даёт боту удалить этот комментарий: прошло больше 48 часов. "
    "Удалите его вручную в обсуждении, если нужно, и нажмите «Убрать из очереди»."
)
TEXT_BUDGET = 1500


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """«1 комментарий», «2 комментария», «5 комментариев»."""
    if n % 10 == 1 and n % 100 != 11:
        word = forms[0]
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = forms[1]
    else:
        word = forms[2]
    return f"{n} {word}"


def hours(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() / 3600))


@dataclass(frozen=True)
class Abilities:
    """What the comment's network allows, as the buttons need it."""

    can_ban: bool = False
    can_hide: bool = False
    can_restore: bool = False


def reason_text(comment: Comment) -> str:
    if comment.reasons:
        return comment.reasons
    if comment.source == "editor":
        return "редактор прислал ссылку на этот комментарий"
    titles = [CATEGORY_TITLES.get(c, c) for c in comment.categories.split(",") if c]
    return ", ".join(titles) or "—"


def comment_body(comment: Comment, post_title: str, tz: ZoneInfo) -> str:
    network = Network(comment.network).title
    where = f" · под публикацией «{shorten(post_title)}»" if post_title else ""
    link = f"\n{comment.post_url}" if comment.post_url else ""
    author = comment.author_name or "автор неизвестен"
    if comment.author_url:
        author += f" ({comment.author_url})"
    text = comment.marked or comment.text or "(текст неизвестен: бот не видел этот комментарий)"
    lines = [
        f"Комментарий на проверке · {network}{where}{link}",
        f"Автор: {author} · {stamp(comment.written_at, tz)}",
        f"«{clip(text, TEXT_BUDGET)}»",
        f"Причина: {reason_text(comment)}",
    ]
    if comment.url:
        lines.append(f"Ссылка на комментарий: {comment.url}")
    return "\n".join(lines)


def decision_buttons(comment: Comment, can: Abilities) -> tuple[tuple[Button, ...], ...]:
    ref = comment.id or 0
    rows = [
        (
            Button("Удалить", Action.comment_delete, ref),
            Button("Оставить", Action.comment_keep, ref),
        )
    ]
    if can.can_hide:
        rows.append((Button("Скрыть", Action.comment_hide, ref),))
    if can.can_ban:
        rows.append((Button("Удалить и заблокировать автора", Action.comment_ban, ref),))
    return tuple(rows)


def flagged_card(comment: Comment, post_title: str, can: Abilities, tz: ZoneInfo) -> Card:
    return Card(comment_body(comment, post_title, tz), decision_buttons(comment, can))


def warning_card(
    comment: Comment, post_title: str, can: Abilities, now: datetime, tz: ZoneInfo
) -> Card:
    """Raised again before the network stops allowing deletion."""
    left = hours(comment.deletable_until - now) if comment.deletable_until else 0
    network = Network(comment.network).title
    head = (
        f"⚠️ Напоминаю: комментарий ждёт решения. Через {plural(left, ('час', 'часа', 'часов'))} "
        f"{network} не даст его удалить — решите, пожалуйста, сейчас.\n\n"
    )
    return Card(head + comment_body(comment, post_title, tz), decision_buttons(comment, can))


def expired_card(comment: Comment, post_title: str, tz: ZoneInfo) -> Card:
    """The 48-hour dead end: the bot can no longer delete it, the queue still can be cleared."""
    network = Network(comment.network).title
    head = (
        f"⌛ {network} больше не даёт боту удалить этот комментарий: прошло больше 48 часов. "
        "Удалить его может только администратор обсуждения вручную. «Убрать из очереди» снимет "
        "его с проверки и ничему не научит модель; «Оставить» — если комментарий в порядке.\n\n"
    )
    ref = comment.id or 0
    return Card(
        head + comment_body(comment, post_title, tz),
        (
            (Button("Убрать из очереди", Action.comment_dismiss, ref),),
            (Button("Оставить", Action.comment_keep, ref),),
        ),
    )


def decided_card(
    comment: Comment, post_title: str, who: Person | None, tz: ZoneInfo, note: str = ""
) -> Card:
    """The card after a decision: who and when, no buttons, so it cannot act twice."""
    outcome = OUTCOMES.get(comment.state, comment.state)
    at = stamp(comment.decided_at, tz) if comment.decided_at else ""
    text = f"{comment_body(comment, post_title, tz)}\n\n{outcome}: {short_name(who)}, {at}"
    if note:
        text += f"\n{note}"
    return Card(text)


def auto_card(comment: Comment, post_title: str, can_undo: bool, tz: ZoneInfo) -> Card:
    verb = "скрыл" if comment.state == "hidden" else "удалил"
    text = f"{comment_body(comment, post_title, tz)}\n\nБот {verb} его сам по правилу из настроек."
    if can_undo:
        text += " Если это ошибка, нажмите «Вернуть»."
        return Card(text, ((Button("Вернуть", Action.comment_restore, comment.id or 0),),))
    return Card(text + " Вернуть его в этой сети нельзя.")


def gone_card(comment: Comment, post_title: str, tz: ZoneInfo) -> Card:
    return Card(
        f"{comment_body(comment, post_title, tz)}\n\n"
        "Комментарий уже удалён в сети (автором или другим администратором). "
        "Решать ничего не нужно."
    )


@dataclass(frozen=True)
class DigestData:
    waiting: int
    oldest_hours: int
    # per network title: how many waiting comments the network will soon refuse to delete,
    # and the fewest hours left
    deadlines: dict[str, tuple[int, int]]
    drafts: int
    today_times: list[str]
    late_reports: list[str]


def digest_card(data: DigestData, extra: Sequence[DigestPart] = ()) -> Card:
    """The morning digest; `extra`: what other features plug in (Moderation.digest_sections)."""
    lines = ["Доброе утро! На сегодня:"]
    rows: list[tuple[Button, ...]] = []
    if data.waiting:
        details = [f"самому старому {data.oldest_hours} ч"]
        for title, (count, left) in data.deadlines.items():
            details.append(f"{count} из {title} — удалить можно ещё {left} ч")
        noun = plural(data.waiting, ("комментарий", "комментария", "комментариев"))
        lines.append(f"• на проверке {noun} ({'; '.join(details)})")
        rows.append((Button("Открыть комментарии", Action.open_comments),))
    if data.drafts:
        verb = "ждёт" if data.drafts % 10 == 1 and data.drafts % 100 != 11 else "ждут"
        noun = plural(data.drafts, ("черновик", "черновика", "черновиков"))
        lines.append(f"• {verb} решения {noun}")
        rows.append((Button("Открыть черновики", Action.open_drafts),))
    if data.today_times:
        n = len(data.today_times)
        verb = "выйдет" if n % 10 == 1 and n % 100 != 11 else "выйдут"
        noun = plural(n, ("публикация", "публикации", "публикаций"))
        lines.append(f"• сегодня {verb} {noun}: {', '.join(data.today_times)}")
        rows.append((Button("График", Action.open_plan),))
    if data.late_reports:
        lines.append(f"• сообщения о мероприятиях с опозданием: {', '.join(data.late_reports)}")
    for part in extra:
        lines.extend(f"• {line}" for line in part.lines)
        rows.extend(part.buttons)
    if len(lines) == 1:
        lines = ["Доброе утро! Сегодня ничего не ждёт Вашего решения."]
    return Card("\n".join(lines), tuple(rows))
