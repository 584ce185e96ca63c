"""OK's and MAX's refusals sorted into the desk's kinds, each with a Russian sentence."""

from __future__ import annotations

import pytest
from aiohttp import ClientConnectorError
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from networks.max import sorted_error as max_sorted
from networks.ok import sorted_error as ok_sorted
from networks.ok_api import OKCallError, OKUnavailable


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (104, "auth", "подпись"),
        (102, "auth", "больше не действует"),
        (10, "auth", "GROUP_CONTENT"),
        (101, "auth", "ключ приложения"),
        (100, "rejected", "ошибка в параметрах"),
        (300, "rejected", "group_id"),
        (8, "temporary", "временно"),
        (9999, "temporary", "временно"),
        (454, "rejected", "что-то своё"),
    ],
)
def test_ok_codes(code: int, kind: str, words: str) -> None:
    error = ok_sorted(OKCallError(code, "что-то своё"))
    assert error.kind == kind and words in error.message


def test_ok_lost_answer_is_uncertain_only_when_posting() -> None:
    lost = OKUnavailable("timeout", reached=True)
    assert ok_sorted(lost, posting=True).kind == "uncertain"
    assert ok_sorted(lost).kind == "temporary"  # an upload step: nothing is in the group yet
    assert ok_sorted(OKUnavailable("HTTP 502"), posting=True).kind == "temporary"


def test_max_errors() -> None:
    assert max_sorted(InvalidToken("x")).kind == "auth"
    assert max_sorted(MaxApiError(429, {"code": "too.many.requests"})).kind == "temporary"
    assert max_sorted(MaxApiError(503, {"code": "service.unavailable"})).kind == "temporary"
    assert max_sorted(MaxApiError(403, {"code": "chat.denied"})).kind == "auth"
    rejected = max_sorted(MaxApiError(404, {"code": "chat.not.found"}))
    assert rejected.kind == "rejected" and "chat_id" in rejected.message
    assert max_sorted(TimeoutError()).kind == "uncertain"
    refused = MaxConnection("no route")
    refused.__cause__ = ClientConnectorError.__new__(ClientConnectorError)
    assert max_sorted(refused).kind == "temporary"  # nothing reached MAX
