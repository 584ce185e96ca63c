from datetime import date

import pytest

from bot import reporting
from bot.editorial import Submitted
from bot.errors import Invalid

TODAY = date(2026, 11, 28)


def test_answers_are_tidied_and_limits_named() -> None:
    assert reporting.title("  Открытие   площадки ") == "Открытие площадки"
    with pytest.raises(Invalid, match="длиннее 300 знаков \\(301\\)"):
        reporting.title("я" * 301)
    with pytest.raises(Invalid, match="можно до 300"):
        reporting.place("у" * 400)


def test_dates_people_write_and_a_clear_hint_otherwise() -> None:
    assert reporting.event_date("вчера", TODAY) == date(2026, 11, 27)
    with pytest.raises(Invalid, match="Не понял дату"):
        reporting.event_date("на днях", TODAY)


def test_summary_and_the_answer_after_sending() -> None:
    data = {"title": "Субботник", "date": "2026-11-27", "place": "Парк", "description": "Убрали."}
    assert reporting.summary(data, TODAY).startswith("Проверьте:\n«Субботник», 27 ноября, Парк")
    assert "без вложений" in reporting.summary(data, TODAY)
    assert "вложений: 2" in reporting.summary({**data, "media": [{}, {}]}, TODAY)
    assert reporting.submitted(Submitted(41, 7, False)).startswith("Спасибо! Сообщение № 41")
    late = reporting.submitted(Submitted(42, 8, True))
    assert "не позднее следующего рабочего дня" in late and "Спасибо" not in late
