"""An optional second opinion on a flagged comment from an OpenAI-compatible chat endpoint.

Off by default (`[moderation.second_opinion] enabled = false`). Confirm-only: it is asked only about
comments the classifier has already flagged, and its answer is a line on the editors' card —
«подтверждает» or «не подтверждает» — so it can confirm a flag but never create one, and never
remove one either: the editors decide as before. GigaChat or YandexGPT work through a gateway
that speaks the OpenAI chat-completions protocol (`POST {base_url}/chat/completions`, a bearer key,
`choices[0].message.content`, `usage.total_tokens`); the key comes from the environment variable
the config names. A timeout, a refusal or an unreadable answer is said on the card too.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from bot.config import SecondOpinionSettings
from bot.people import audit
from storage.models import Comment
from storage.uow import UnitOfWork

PROMPT = (
    "Ты модератор комментариев на странице городской администрации. Правила: нельзя мат, "
    "оскорбления людей или групп, угрозы и призывы к насилию, спам и рекламу, нарушения закона. "
    "Резкая критика власти разрешена. Классификатор отметил комментарий как: {categories}. "
    'Ответь одним JSON-объектом: {{"violation": true или false, "reason": "кратко, по-русски"}}.'
)
_JSON = re.compile(r"\{.*\}", re.S)


@dataclass(frozen=True)
class Opinion:
    confirmed: bool | None  # None: no answer to go by
    reason: str
    seconds: float
    tokens: int

    def line(self) -> str:
        """What the editors' card says."""
        if self.confirmed is None:
            return f"второе мнение недоступно: {self.reason}"
        verdict = "подтверждает нарушение" if self.confirmed else "не видит нарушения"
        return f"второе мнение: {verdict}" + (f" — {self.reason}" if self.reason else "")


class SecondOpinion:
    def __init__(self, settings: SecondOpinionSettings) -> None:
        self._s = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        return self._s.enabled and bool(self._s.base_url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ask(self, text: str, categories: list[str]) -> Opinion:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._s.timeout_seconds)
            )
        key = os.environ.get(self._s.api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = {
            "model": self._s.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": PROMPT.format(categories=", ".join(categories))},
                {"role": "user", "content": text[: self._s.max_chars]},
            ],
        }
        url = self._s.base_url.rstrip("/") + "/chat/completions"
        started = time.monotonic()
        try:
            async with self._session.post(url, json=body, headers=headers) as resp:
                if resp.status != 200:
                    return Opinion(None, f"сервис ответил {resp.status}", _since(started), 0)
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return Opinion(None, f"нет ответа ({type(exc).__name__})", _since(started), 0)
        return parse(answer, _since(started))


async def annotate(
    opinion: SecondOpinion,
    uow: Callable[[], UnitOfWork],
    comment: Comment,
    waiting: Sequence[str],
    now: datetime,
) -> Comment:
    """Ask about a flagged comment and put the answer on it as one more reason (confirm-only)."""
    answer = await opinion.ask(comment.text, comment.categories.split(","))
    async with uow() as u:
        reasons = "; ".join(filter(None, (comment.reasons, answer.line())))
        await u.comments.move(comment.id, waiting, reasons=reasons)
        details = f"{answer.confirmed} {answer.seconds:.2f}s {answer.tokens} tokens"
        await audit(u, now, "comment.second_opinion", obj=f"comment:{comment.id}", details=details)
        await u.commit()
        return await u.comments.get(comment.id)


def parse(answer: object, seconds: float) -> Opinion:
    """An OpenAI-style answer to an Opinion; anything else is "no answer to go by"."""
    try:
        content = answer["choices"][0]["message"]["content"]  # type: ignore[index]
        tokens = int((answer.get("usage") or {}).get("total_tokens", 0))  # type: ignore[union-attr]
        found = _JSON.search(content)
        verdict = json.loads(found.group() if found else content)
        violation = verdict["violation"]
        if not isinstance(violation, bool):
            raise ValueError("violation is not a boolean")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return Opinion(None, "ответ не разобрать", seconds, 0)
    reason = str(verdict.get("reason", ""))[:200].strip()
    return Opinion(violation, reason, seconds, tokens)


def _since(started: float) -> float:
    return time.monotonic() - started
