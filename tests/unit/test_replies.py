"""Reply deadlines in working time, question detection and routing (bot/replies)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import ReplyRoute
from bot.replies.deadlines import WorkingTime
from bot.replies.detect import is_question, kind_of, route
from bot.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Tomsk")
TIME = WorkingTime(WorkCalendar("RU"), TZ, "09:00", "18:00")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


def test_hours_stop_at_the_end_of_the_day_and_go_on_after_the_weekend() -> None:
    assert TIME.add_hours(at(2027, 3, 3, 10, 0), 3) == at(2027, 3, 3, 13, 0)  # a Wednesday
    assert TIME.add_hours(at(2027, 3, 12, 17, 0), 3) == at(2027, 3, 15, 11, 0)  # Fri -> Mon
    assert TIME.add_hours(at(2027, 3, 13, 12, 0), 1) == at(2027, 3, 15, 10, 0)  # from Saturday
    assert TIME.add_hours(at(2027, 3, 15, 7, 0), 1) == at(2027, 3, 15, 10, 0)  # before 09:00
    assert TIME.add_hours(at(2027, 3, 15, 20, 0), 1) == at(2027, 3, 16, 10, 0)  # after 18:00


def test_holidays_are_not_working_days() -> None:
    # 8 March 2027 is a Monday and a public holiday
    assert TIME.add_hours(at(2027, 3, 5, 16, 0), 3) == at(2027, 3, 9, 10, 0)
    assert TIME.add_days(at(2027, 3, 5, 16, 0), 1) == at(2027, 3, 9, 18, 0)
    # the New Year holidays: a question on 30 December is answered in the new working year
    assert TIME.add_days(at(2026, 12, 30, 12, 0), 2) > at(2027, 1, 8, 18, 0)


def test_question_detection() -> None:
    assert is_question("Когда отремонтируют дорогу на Лесной?")
    assert is_question("Куда обращаться по поводу вывоза мусора")
    assert is_question("Подскажите, пожалуйста, как оформить субсидию на оплату ЖКУ")
    assert not is_question("Спасибо за праздник!")
    assert not is_question("Кто-нибудь был на концерте? Как вам?")
    assert not is_question("Сколько можно?")


def test_kinds_and_routing() -> None:
    assert kind_of("Спасибо за новую площадку") == "thanks"
    assert kind_of("Безобразие, мусор не вывозят вторую неделю") == "complaint"
    assert kind_of("Прошу установить фонарь у остановки") == "request"
    assert kind_of("Когда откроют каток?") == "question"
    routes = [
        ReplyRoute(department="Отдел ЖКХ", keywords=["дорог", "мусор"]),
        ReplyRoute(department="Отдел образования", keywords=["детский сад", "школ"]),
    ]
    assert route("Когда отремонтируют Дорогу?", routes) == "Отдел ЖКХ"
    assert route("Нет мест в детский сад", routes) == "Отдел образования"
    assert route("Когда концерт?", routes, "Пресс-служба") == "Пресс-служба"
