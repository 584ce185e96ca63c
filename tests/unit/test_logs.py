import json
import logging
import sys

from bot.logs import JsonFormatter


def test_json_log_lines_are_one_object_each_with_the_exception() -> None:
    try:
        raise ValueError("сломалось")
    except ValueError:
        record = logging.getLogger("pressdesk").makeRecord(
            "pressdesk", logging.ERROR, __file__, 1, "публикация №%d", (7,), None
        )
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["message"] == "публикация №7"
    assert "ValueError: сломалось" in line["exception"]
    assert "\n" not in JsonFormatter().format(record)
