"""The Russian texts of the desk's cards. Plain text: each transport escapes it as it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content import PostContent
from bot.dates import calendar_date, calendar_when, human_when, stamp
from bot.domain import MediaKind, Network, PostState, PublicationState
from bot.ports import Action, Button, Card, Check, MediaItem, PollSpec
from bot.textsize import fit
from storage.models import Person, Post, PostText, Publication, Report

CARD_TEXT_BUDGET = 3000  # UTF-16 units: a card must stay under Telegram's 4096 with its header
TITLE_LIMIT = 80  # a post named inside a line of a card


@dataclass
class PostView:
    post: Post
    report: Report | None
    author: Person | None
    department: str
    media: tuple[MediaItem, ...]
    publications: list[Publication]
    decided_by: Person | None = None
    poll: PollSpec | None = None  # bot/polls.py
    texts: dict[str, PostText] = field(default_factory=dict)  # the post's own per network
    # Lines a format adds to every network's text (a broadcast's link and start, a contest's
    # rules): kept apart from the text, so an editor who replaces it does not lose them.
    additions: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if self.report is not None:
            return self.report.title
        first = self.post.text.strip().splitlines()[0] if self.post.text.strip() else "Без названия"
        return shorten(first)

    @property
    def content(self) -> PostContent:
        """What the post says and shows, as every network's adapter gets it."""
        return PostContent(self.post.text, self.media, self.poll)

    def text_for(self, network: str) -> str:
        """The text for `network` before the house style: its own, or the post's."""
        own = self.texts.get(network)
        text = own.text if own is not None else self.post.text
        return "\n\n".join([text.rstrip(), *self.additions]) if self.additions else text

    def media_summary(self) -> str:
        counts: dict[MediaKind, int] = {}
        for item in self.media:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return ", ".join(f"{n} {kind.short}" for kind, n in counts.items())


def short_name(person: Person | None) -> str:
    return person.full_name if person else "кто-то из редакторов"


def shorten(text: str, limit: int = TITLE_LIMIT) -> str:
    """A title for a line of a card: whole words, with «…» when something was left out."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
    return cut.rstrip(" ,.;:—-") + "…"


def clip(text: str, budget: int = CARD_TEXT_BUDGET) -> str:
    """`text` within `budget` UTF-16 units (as Telegram counts), cut with a visible «…»."""
    return fit(text, budget, f" (полный текст — {len(text)} знаков)")


def draft_card(view: PostView, checks: dict[Network, Check], today: datetime, tz: ZoneInfo) -> Card:
    report, post = view.report, view.post
    lines = []
    if report is not None:
        who = ", ".join(x for x in (view.department, short_name(view.author)) if x)
        lines.append(
            f"Новое сообщение № {report.id} ({who})" if who else f"Сообщение № {report.id}"
        )
        day = calendar_date(report.event_date, today.astimezone(tz).date())
        facts = [f"«{report.title}»", day]
        facts += [report.place] + ([view.media_summary()] if view.media else [])
        lines.append(" · ".join(facts))
        if report.is_late:
            lines.append(
                "Прислано позже срока (не позднее следующего рабочего дня после мероприятия)."
            )
    else:
        lines.append(f"Черновик № {post.id}")
    lines += ["", clip(post.text), *(f"\n{block}" for block in view.additions)]
    if view.poll is not None:
        lines += ["", poll_summary(view.poll, tz)]
    lines += ["", check_summary(checks)]
    # With the draft's files wherever it is shown: VK's card carries its photos (Telegram's
    # answers send the text; its album goes with the first card, handlers/telegram/render.py).
    return Card(
        "\n".join(lines),
        media=view.media,
        buttons=(
            (
                Button("Одобрить", Action.approve, post.id),
                Button("Редактировать", Action.edit, post.id),
                Button("Отклонить", Action.reject, post.id),
            ),
            (
                Button("+ Опрос", Action.add_poll, post.id),
                Button("+ Трансляция", Action.add_broadcast, post.id),
                Button("+ Конкурс", Action.add_contest, post.id),
            ),
            (Button("Предпросмотр по сетям", Action.preview, post.id),),
        ),
    )


def poll_summary(poll: PollSpec, tz: ZoneInfo) -> str:
    kind = "несколько ответов" if poll.multiple else "один ответ"
    options = "\n".join(f"• {o}" for o in poll.options)
    return f"Опрос: «{poll.question}» ({kind}, итоги {stamp(poll.ends_at, tz)})\n{options}"


def check_summary(checks: dict[Network, Check]) -> str:
    parts = []
    for network, check in checks.items():
        if check.problems:
            parts.append(f"{network.title}: ✗ " + "; ".join(check.problems))
        elif check.notes:
            parts.append(f"{network.title}: ✓ " + "; ".join(check.notes))
        else:
            parts.append(f"{network.title}: ✓")
    return "\n".join(parts)


def decided_card(view: PostView, verb: str, who: Person | None, at: datetime, tz: ZoneInfo) -> Card:
    """The draft card after a decision: no buttons, so it cannot act twice."""
    text = f"«{view.title}»\n{verb}: {short_name(who)}, {stamp(at, tz)}"
    if view.post.reject_reason and view.post.state == PostState.rejected:
        text += f"\nПричина: {view.post.reject_reason}"
    return Card(text)


def when_card(post: Post, quick: list[tuple[str, str]]) -> Card:
    row = [Button("Сейчас", Action.when, post.id, "now")]
    row += [Button(label, Action.when, post.id, arg) for label, arg in quick]
    return Card(
        "Когда публикуем?",
        buttons=(tuple(row), (Button("Другое время", Action.when, post.id, "other"),)),
    )


def where_card(
    view: PostView, available: dict[Network, Check], now: datetime, tz: ZoneInfo
) -> Card:
    chosen = {p.network for p in view.publications}
    when = human_when(view.post.scheduled_at, now, tz) if view.post.scheduled_at else "сейчас"
    buttons = []
    for network in available:
        mark = "✓ " if network in chosen else ""
        buttons.append(
            Button(f"{mark}{network.title}", Action.toggle_network, view.post.id, network)
        )
    lines = [f"Куда публикуем «{view.title}» ({when})?"]
    lines += [f"{n.title}: {'; '.join(c.problems)}" for n, c in available.items() if c.problems]
    return Card(
        "\n".join(lines),
        buttons=(tuple(buttons), (Button("Готово", Action.confirm, view.post.id),)),
    )


def network_list(publications: list[Publication]) -> str:
    return ", ".join(Network(p.network).title for p in publications)


def scheduled_card(view: PostView, now: datetime, tz: ZoneInfo) -> Card:
    when = calendar_when(view.post.scheduled_at, now, tz)
    text = f"«{view.title}» запланировано на {when}: {network_list(view.publications)}."
    return Card(text, buttons=(queue_buttons(view.post),))


def status_card(view: PostView, now: datetime, tz: ZoneInfo) -> Card:
    """What an earlier card of a post says once the post has moved on: its state, no buttons,
    so an old «Перенести» or «Отменить» cannot act on a post that changed since."""
    post = view.post
    lines = [f"«{view.title}»"]
    if view.decided_by is not None and post.decided_at is not None:
        lines.append(f"Одобрено: {short_name(view.decided_by)}, {stamp(post.decided_at, tz)}")
    state = PostState(post.state)
    if state == PostState.scheduled and post.scheduled_at is not None:
        when = calendar_when(post.scheduled_at, now, tz)
        lines.append(f"Запланировано на {when}: {network_list(view.publications)}.")
    elif state == PostState.approved:
        lines.append("Время публикации выбирается заново.")
    elif state == PostState.draft:
        lines.append("Публикация отменена, черновик снова ждёт решения (/drafts).")
    else:
        lines.append(f"{state.title[:1].upper()}{state.title[1:]}.")
    return Card("\n".join(lines))


def queue_buttons(post: Post) -> tuple[Button, ...]:
    return (
        Button("Перенести", Action.reschedule, post.id),
        Button("Отменить", Action.cancel_post, post.id),
    )


def queue_line(view: PostView, now: datetime, tz: ZoneInfo) -> Card:
    post = view.post
    if post.state == PostState.scheduled:
        when = calendar_when(post.scheduled_at, now, tz)
        return Card(
            f"«{view.title}» — {when} · {network_list(view.publications)}",
            buttons=(queue_buttons(post),),
        )
    if post.state == PostState.failed:
        return failed_card(view)
    return Card(f"«{view.title}» — {post.state and PostState(post.state).title}")


def approved_waiting_card(view: PostView) -> Card:
    return Card(
        f"«{view.title}» одобрено, но время публикации не выбрано.",
        buttons=(
            (
                Button("Запланировать", Action.schedule, view.post.id),
                Button("Отменить", Action.cancel_post, view.post.id),
            ),
        ),
    )


def cancelled_for_editor(view: PostView) -> str:
    told = " Автору сообщено." if view.author is not None else ""
    return f"Публикация «{view.title}» отменена. Черновик снова ждёт решения (/drafts).{told}"


def cancelled_for_author(view: PostView, editor: Person) -> Card:
    number = f" № {view.report.id}" if view.report is not None else ""
    return Card(
        f"Публикация Вашего сообщения{number} «{view.title}» отменена "
        f"(редактор {short_name(editor)}). Оно вернулось в черновики пресс-службы: "
        "редактор снова решит, публиковать ли его и когда."
    )


def published_card(view: PostView) -> Card:
    lines = [f"Опубликовано: «{view.title}»"]
    lines += [f"{Network(p.network).title}: {p.url}" for p in view.publications if p.url]
    return Card("\n".join(lines))


def failed_card(view: PostView) -> Card:
    """A post with a network that did not go out or may not have: the /queue line."""
    lines = [f"«{view.title}» — не всё опубликовано:"]
    buttons: list[tuple[Button, ...]] = []
    for p in view.publications:
        network = Network(p.network)
        if p.state == PublicationState.published:
            lines.append(f"{network.title}: вышла — {p.url}")
        elif p.state == PublicationState.failed:
            lines.append(f"{network.title}: {p.error}")
            buttons.append(
                (Button(f"Повторить: {network.title}", Action.retry, p.post_id, p.network),)
            )
        elif p.state == PublicationState.uncertain:
            lines.append(f"{network.title}: возможно, вышла — проверьте ({p.error})")
            buttons.append(
                (
                    Button(f"{network.title}: да, вышло", Action.confirm_out, p.post_id, p.network),
                    Button("Опубликовать снова", Action.publish_again, p.post_id, p.network),
                )
            )
        else:
            lines.append(f"{network.title}: публикуется")
    if not any(p.state == PublicationState.published for p in view.publications):
        buttons.append((Button("Отменить", Action.cancel_post, view.post.id),))
    return Card("\n".join(lines), buttons=tuple(buttons))


def edit_prompt(post: Post) -> Card:
    return Card(
        "Пришлите новый текст публикации одним сообщением. Вложения останутся, "
        "заменить их можно кнопкой ниже.",
        buttons=(
            (
                Button("Заменить вложения", Action.replace_media, post.id),
                Button("Отмена", Action.stop, post.id),
            ),
        ),
    )
