"""[replies]: citizens' messages and the coordination of replies (order 1.2.3, bot/replies)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from bot.config.base import HHMM, Section


class ReplyDeadline(Section):
    """The first response within working hours, the final answer within working days."""

    first_hours: float = Field(8.0, gt=0, le=24 * 30)
    answer_days: int = Field(7, ge=1, le=60)


def _default_deadlines() -> dict[str, ReplyDeadline]:
    return {
        "question": ReplyDeadline(first_hours=3, answer_days=7),
        "complaint": ReplyDeadline(first_hours=3, answer_days=7),
        "request": ReplyDeadline(first_hours=8, answer_days=10),
        "thanks": ReplyDeadline(first_hours=8, answer_days=3),
    }


class ReplyRoute(Section):
    """A message whose text has one of these word starts goes to this department."""

    department: str = Field(min_length=2, max_length=200)
    keywords: list[str] = Field(min_length=1)


class ReplyTemplate(Section):
    """A ready answer; Jinja2 placeholders: name, number, deadline, department, office."""

    name: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=4000)


TICKET_KINDS = ("question", "complaint", "request", "thanks")


class RepliesSettings(Section):
    """Citizens' messages and the coordination of replies (order 1.2.3, bot/replies)."""

    enabled: bool = True
    # Sent at once to the citizen; Jinja2 placeholders: name, number, deadline, office.
    acknowledgement: str = (
        "Здравствуйте{% if name %}, {{ name }}{% endif %}! Спасибо, ваше сообщение передано "
        "в администрацию (обращение № {{ number }}). Ответим до {{ deadline }}."
    )
    # Under a question comment: a short public reply from the community ("" sends none).
    comment_acknowledgement: str = (
        "Спасибо за вопрос! Передали его в администрацию, ответим здесь до {{ deadline }}."
    )
    questions_from_comments: bool = True
    work_start: str = Field("09:00", pattern=HHMM)
    work_end: str = Field("18:00", pattern=HHMM)
    remind_before_hours: float = Field(1.0, ge=0, le=24 * 7)
    check_every_minutes: int = Field(10, ge=1, le=24 * 60)
    deadlines: dict[str, ReplyDeadline] = Field(default_factory=_default_deadlines)
    default_department: str = ""
    routes: list[ReplyRoute] = Field(default_factory=list)
    templates: list[ReplyTemplate] = Field(default_factory=list)

    @field_validator("deadlines")
    @classmethod
    def _known_kinds(cls, value: dict[str, ReplyDeadline]) -> dict[str, ReplyDeadline]:
        for kind in value:
            if kind not in TICKET_KINDS:
                raise ValueError(f"неизвестный вид обращения {kind!r}: {', '.join(TICKET_KINDS)}")
        return {**_default_deadlines(), **value}

    @model_validator(mode="after")
    def _hours_in_order(self) -> RepliesSettings:
        if self.work_start >= self.work_end:
            raise ValueError("work_start должен быть раньше work_end")
        return self
