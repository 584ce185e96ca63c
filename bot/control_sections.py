"""The desk's own sections of the monthly control report (bot/control.py): one query each.

Departments: events announced, reports on time and late (the report's `is_late`, set at
submission by the working calendar), announced events whose deadline passed with no report.
Publications: per network and per format (the format from the post's attachments). Moderation:
flagged comments and the editors' decisions, the median time from seeing a comment to deciding,
and those left undecided past the network's deletion window (Telegram's 48 hours). Engagement:
the networks' own per-post counters (StatsSource), or the network's reason it gives none.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, literal, or_
from sqlmodel import col, select

from bot.control import DELETED, HIDDEN, Chart, Context, Section
from bot.domain import Network
from bot.ports import StatsSource
from bot.workdays import WorkCalendar
from storage.models import (
    Announcement,
    Attachment,
    Comment,
    Department,
    Post,
    Publication,
    Report,
)
from storage.plan import answered_by_report
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
NOT_COLLECTED = "бот пока не собирает эти показатели из этой сети"


async def departments(uow: UnitOfWork, ctx: Context, calendar: WorkCalendar) -> Section:
    """Per department: events announced, reports on time, late, announced but missing."""
    in_month = and_(
        col(Report.event_date) >= ctx.month.first, col(Report.event_date) <= ctx.month.last
    )
    announced_in_month = and_(
        Announcement.department_id == Department.id,
        Announcement.cancelled == False,  # noqa: E712
        col(Announcement.event_date) >= ctx.month.first,
        col(Announcement.event_date) <= ctx.month.last,
    )
    # "Missing" needs the deadline, which is the working calendar's: the last event date whose
    # deadline has passed by today is found in Python, then compared in SQL.
    passed = _last_event_past_deadline(calendar, ctx.today)

    def count(*where):  # type: ignore[no-untyped-def]
        return select(func.count()).where(*where).scalar_subquery()

    query = select(
        Department.name,
        count(announced_in_month),
        count(Report.department_id == Department.id, in_month, Report.is_late == False),  # noqa: E712
        count(Report.department_id == Department.id, in_month, Report.is_late == True),  # noqa: E712
        count(announced_in_month, col(Announcement.event_date) <= passed, ~answered_by_report()),
    ).order_by(Department.name)
    rows = [tuple(r) for r in (await uow.session.exec(query)).all()]
    rows = [r for r in rows if any(r[1:])]
    totals = [sum(r[i] for r in rows) for i in range(1, 5)]
    section = Section(
        "Подразделения",
        header=("Подразделение", "Анонсировано", "Вовремя", "С опозданием", "Не прислали"),
        rows=rows,
    )
    section.lines.append(
        f"анонсировано мероприятий: {totals[0]}; сообщений вовремя: {totals[1]}, "
        f"с опозданием: {totals[2]}; не прислали: {totals[3]}"
    )
    late = [r[0] for r in rows if r[3] or r[4]]
    if late:
        section.lines.append("опаздывали или не прислали: " + ", ".join(late))
    section.notes.append(
        "Срок — не позднее следующего рабочего дня после мероприятия (производственный календарь "
        "с праздниками и переносами)."
    )
    if rows:
        section.charts.append(
            Chart(
                "departments",
                "Сообщения подразделений",
                tuple(r[0] for r in rows),
                (
                    ("вовремя", tuple(r[2] for r in rows)),
                    ("с опозданием", tuple(r[3] for r in rows)),
                    ("не прислали", tuple(r[4] for r in rows)),
                ),
                stacked=True,
            )
        )
    return section


def _last_event_past_deadline(calendar: WorkCalendar, today: date) -> date:
    day = today - timedelta(days=1)
    while calendar.deadline(day).due >= today:
        day -= timedelta(days=1)
    return day


def post_format():  # type: ignore[no-untyped-def]
    """A post's format from its attachments: video, photo, document or text only."""

    def has(kind: str):  # type: ignore[no-untyped-def]
        return exists().where(Attachment.post_id == Post.id, Attachment.kind == kind)

    return case(
        (has("video"), literal("видео")),
        (has("photo"), literal("фото")),
        (has("document"), literal("документ")),
        else_=literal("текст"),
    )


async def publications(uow: UnitOfWork, ctx: Context) -> Section:
    fmt = post_format().label("format")
    query = (
        select(Publication.network, fmt, func.count())
        .join(Post, col(Post.id) == Publication.post_id)
        .where(
            Publication.state == "published",
            col(Post.scheduled_at) >= ctx.start,
            col(Post.scheduled_at) < ctx.end,
        )
        .group_by(Publication.network, fmt)
    )
    counts = [(n, f, c) for n, f, c in (await uow.session.exec(query)).all()]
    networks = sorted({n for n, _, _ in counts}, key=lambda n: Network(n).title)
    formats = sorted({f for _, f, _ in counts})
    table = {(n, f): c for n, f, c in counts}
    section = Section(
        "Публикации",
        header=("Сеть", *formats, "Всего"),
        rows=[
            (
                Network(n).title,
                *(table.get((n, f), 0) for f in formats),
                sum(table.get((n, f), 0) for f in formats),
            )
            for n in networks
        ],
    )
    if counts:
        section.lines.append(
            "; ".join(
                f"{Network(n).title}: {sum(table.get((n, f), 0) for f in formats)}"
                for n in networks
            )
        )
        by_format = {f: sum(table.get((n, f), 0) for n in networks) for f in formats}
        section.lines.append(
            "по форматам: " + ", ".join(f"{f} — {c}" for f, c in by_format.items())
        )
        section.charts.append(
            Chart(
                "publications",
                "Публикации по сетям и форматам",
                tuple(Network(n).title for n in networks),
                tuple((f, tuple(float(table.get((n, f), 0)) for n in networks)) for f in formats),
                stacked=True,
            )
        )
    else:
        section.lines.append("публикаций не было")
    return section


async def moderation(uow: UnitOfWork, ctx: Context) -> Section:
    flagged = or_(Comment.categories != "", Comment.source == "editor")
    query = select(
        Comment.network,
        Comment.state,
        Comment.decision,
        Comment.seen_at,
        Comment.decided_at,
        Comment.deletable_until,
    ).where(flagged, col(Comment.seen_at) >= ctx.start, col(Comment.seen_at) < ctx.end)
    rows = (await uow.session.exec(query)).all()
    per: dict[str, dict[str, int]] = {}
    waits: list[float] = []
    for network, state, decision, seen, decided, deletable in rows:
        figures = per.setdefault(
            network, dict.fromkeys(("flagged", "deleted", "kept", "hidden", "missed"), 0)
        )
        figures["flagged"] += 1
        if decision in DELETED:
            figures["deleted"] += 1
        elif decision == "keep":
            figures["kept"] += 1
        elif decision in HIDDEN:
            figures["hidden"] += 1
        if (
            decision is None
            and state == "flagged"
            and deletable is not None
            and deletable < ctx.now
        ):
            figures["missed"] += 1
        if decided is not None and decision is not None and not decision.startswith("auto_"):
            waits.append((decided - seen).total_seconds() / 3600)
    total = {
        k: sum(f[k] for f in per.values())
        for k in ("flagged", "deleted", "kept", "hidden", "missed")
    }
    median = statistics.median(waits) if waits else None
    section = Section(
        "Модерация комментариев",
        header=(
            "Сеть",
            "На проверке было",
            "Удалено",
            "Оставлено",
            "Скрыто",
            "Не решено до конца срока удаления",
        ),
        rows=[
            (Network(n).title, f["flagged"], f["deleted"], f["kept"], f["hidden"], f["missed"])
            for n, f in sorted(per.items())
        ],
    )
    section.lines.append(
        f"на проверке было {total['flagged']}: удалено {total['deleted']}, "
        f"оставлено {total['kept']}" + (f", скрыто {total['hidden']}" if total["hidden"] else "")
    )
    if median is not None:
        section.lines.append(f"медианное время до решения: {_hours(median)}")
    if total["missed"]:
        section.lines.append(
            f"не решены за 48 часов, пока Telegram давал удалить: {total['missed']}"
        )
    section.notes.append(
        "Telegram даёт боту удалить комментарий только в первые 48 часов; "
        "«не решено до конца срока удаления» — такие комментарии, оставшиеся без решения."
    )
    if median is not None:
        section.rows.append(("Медианное время до решения, ч", round(median, 1), "", "", "", ""))
    if per:
        section.charts.append(
            Chart(
                "moderation",
                "Решения по комментариям",
                ("удалено", "оставлено", "скрыто", "без решения к сроку"),
                (
                    (
                        "комментарии",
                        (total["deleted"], total["kept"], total["hidden"], total["missed"]),
                    ),
                ),
            )
        )
    return section


def _hours(value: float) -> str:
    if value < 1:
        return f"{round(value * 60)} мин"
    return f"{value:.1f} ч".replace(".", ",")


class Engagement:
    """Per-post views, likes, reposts and comments from the networks that give them."""

    def __init__(self, sources: Sequence[StatsSource]) -> None:
        self._sources = {s.network.value: s for s in sources}

    async def __call__(self, uow: UnitOfWork, ctx: Context) -> Section:
        query = (
            select(
                Publication.network,
                Publication.external_id,
                Publication.url,
                Post.id,
                Report.title,
                Post.text,
            )
            .join(Post, col(Post.id) == Publication.post_id)
            .join(Report, col(Report.id) == Post.report_id, isouter=True)
            .where(
                Publication.state == "published",
                col(Publication.external_id).is_not(None),
                col(Post.scheduled_at) >= ctx.start,
                col(Post.scheduled_at) < ctx.end,
            )
            .order_by(col(Post.scheduled_at))
        )
        published = (await uow.session.exec(query)).all()
        section = Section(
            "Просмотры и отклики",
            header=("Публикация", "Сеть", "Просмотры", "Лайки", "Репосты", "Комментарии", "Ссылка"),
        )
        by_network: dict[str, list] = {}
        for row in published:
            by_network.setdefault(row[0], []).append(row)
        totals: dict[str, list[int | None]] = {}
        for network, items in sorted(by_network.items()):
            source = self._sources.get(network)
            title = Network(network).title
            if source is None or source.unavailable:
                why = source.unavailable if source else NOT_COLLECTED
                section.notes.append(f"{title}: {why}.")
                continue
            try:
                figures = await source.stats([x[1] for x in items])
            except Exception as exc:  # a network that fails does not stop the report
                log.warning("stats from %s failed: %s", network, exc)
                section.notes.append(f"{title}: не удалось получить данные ({exc}).")
                continue
            if note := getattr(source, "note", ""):
                section.notes.append(f"{title}: {note}.")
            for _, external_id, url, _post_id, report_title, text in items:
                stats = figures.get(external_id)
                if stats is None:
                    continue
                name = report_title or (text.strip().splitlines() or ["Без названия"])[0][:80]
                section.rows.append(
                    (name, title, stats.views, stats.likes, stats.reposts, stats.comments, url)
                )
                sums = totals.setdefault(title, [None, None, None, None])
                for i, value in enumerate(
                    (stats.views, stats.likes, stats.reposts, stats.comments)
                ):
                    if value is not None:  # a figure the network does not give is not a zero
                        sums[i] = (sums[i] or 0) + value
        for title, sums in totals.items():
            named = zip(("просмотров", "лайков", "репостов", "комментариев"), sums, strict=True)
            section.lines.append(
                f"{title}: " + ", ".join(f"{w} {n}" for w, n in named if n is not None)
            )
        section.lines += section.notes
        if totals:
            section.charts.append(
                Chart(
                    "engagement",
                    "Просмотры и отклики",
                    ("просмотры", "лайки", "репосты", "комментарии"),
                    tuple((t, tuple(float(x or 0) for x in v)) for t, v in totals.items()),
                )
            )
        return section
