"""One Graph API client for the Facebook Page and the Instagram business account.

What it relies on, from Meta's documentation:
- Errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`; 190 is
  an expired or revoked token, 102 a session problem, 10 and 200-299 a missing permission, 1/2
  temporary trouble, 4/17/32/613 (and 80001 Pages, 80002 Instagram business use case) throttling,
  341 an application limit, 368 "temporarily blocked for policy violations", 506 a duplicate post
  (developers.facebook.com/docs/graph-api/guides/error-handling).
- Pages with a Page token and the Instagram Platform are under business use case (BUC) rate
  limits; their usage comes in the `X-Business-Use-Case-Usage` header (per business id, a list
  of `{type, call_count, total_cputime, total_time, estimated_time_to_regain_access}` in per
  cent and minutes), platform limits in `X-App-Usage`; at 100 % calls fail until the time to
  regain access has passed (developers.facebook.com/docs/graph-api/overview/rate-limiting).
  The client therefore waits on its own once a header names the time to regain access, instead
  of burning calls; its own pace is the token's shared Pace from networks/ratelimit.py.
- `appsecret_proof` = hex HMAC-SHA256 of the access token keyed with the app secret, sent with
  every call when the app requires it ("Require App Secret" in the app's settings).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from bot.ports import ModerationFailed, PublishError
from networks.ratelimit import Pace, Rate, pace_for

log = logging.getLogger(__name__)

RATE = {4, 17, 32, 613, 80001, 80002, 341}
TEMPORARY = {1, 2} | RATE
AUTH_CODES = {190, 102, 104, 10, 3} | set(range(200, 300))
GONE_SUBCODE = 33  # "Object with ID … does not exist"
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage")
HIGH = 90  # per cent: slow down before Meta refuses


@dataclass
class GraphError(Exception):
    """Graph's own refusal (code > 0), or a transport failure (code 0, `status` the HTTP one)."""

    code: int
    message: str
    subcode: int = 0
    status: int = 0
    retry_after: float | None = None
    user_message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    maybe_applied: bool = False  # the request went out and its answer was lost

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode else ""
        return f"Graph error {self.code}{sub} (HTTP {self.status}): {self.message}"

    @property
    def kind(self) -> Literal["temporary", "auth", "rejected"]:
        if self.code == 0 or self.code in TEMPORARY:
            return "temporary"
        if self.code in AUTH_CODES:
            return "auth"
        return "rejected"

    @property
    def gone(self) -> bool:
        return self.code == 100 and self.subcode == GONE_SUBCODE


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def usage_pause(headers: Mapping[str, str]) -> tuple[int, float]:
    """The highest usage (per cent) the headers report and how many seconds Meta asks to wait."""
    top, wait = 0, 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        # X-App-Usage is one dict; X-Business-Use-Case-Usage maps business ids to lists of them.
        entries: list[Any] = [data] if "call_count" in data else []
        if not entries and isinstance(data, dict):
            for value in data.values():
                entries += value if isinstance(value, list) else [value]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_cputime", "total_time"):
                top = max(top, int(entry.get(key) or 0))
            wait = max(wait, float(entry.get("estimated_time_to_regain_access") or 0) * 60)
    return top, wait


class GraphClient:
    """Graph calls with one token: paced, usage headers honoured, errors as GraphError."""

    def __init__(
        self,
        base_url: str,
        token: str,
        app_secret: str | None = None,
        timeout: float = 20,
        requests_per_second: float = 5,
        clock: Callable[[], float] = time.monotonic,
        network: str = "meta",  # the label of its rate-limit waits in /metrics
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._network = network
        self._token = token
        self._app_secret = app_secret
        self._proof = appsecret_proof(token, app_secret) if app_secret else None
        self._timeout = timeout
        self._rate = Rate(max(1.0, requests_per_second), 1.0)
        self._pace: Pace | None = None  # the token's shared pace (networks.ratelimit), on first use
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self.paused_until = 0.0
        self.usage = 0  # the last usage figure Meta reported, per cent
        self.calls = 0

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        return self._session

    def with_token(self, token: str) -> GraphClient:
        """A trial client on another token (same API, app secret and limits), to check it first."""
        return GraphClient(
            self.base_url,
            token,
            self._app_secret,
            self._timeout,
            self._rate.count,
            self._clock,
            self._network,
        )

    def use_token(self, token: str) -> None:
        """Every later call (the Page's or the account's posts and comments share this client)
        sends `token`, with its own appsecret_proof. The pace and the usage pause stay: Meta
        counts the Page's or the app's calls, not the token's."""
        self._token = token
        self._proof = appsecret_proof(token, self._app_secret) if self._app_secret else None

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        return await self.request("GET", path, params)

    async def post(
        self, path: str, params: dict[str, Any] | None = None, files: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self.request("POST", path, params or {}, files)

    async def delete(self, path: str) -> dict[str, Any]:
        return await self.request("DELETE", path, {})

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        await self._wait_for_budget()
        fields = {k: _text(v) for k, v in params.items() if v is not None}
        fields["access_token"] = self._token
        if self._proof:
            fields["appsecret_proof"] = self._proof
        url = f"{self.base_url}/{path.lstrip('/')}"
        kwargs: dict[str, Any] = {}
        if method == "GET":
            kwargs["params"] = fields
        elif files:
            form = aiohttp.FormData()
            for key, value in fields.items():
                form.add_field(key, value)
            for key, (filename, data, mime) in files.items():
                form.add_field(key, data, filename=filename, content_type=mime)
            kwargs["data"] = form
        else:
            kwargs["data"] = fields  # the token goes in the body, not in a logged URL
        if self._pace is None:
            self._pace = pace_for(self._token, self._rate, network=self._network)
        await self._pace.wait()
        self.calls += 1
        try:
            async with asyncio.timeout(self._timeout):
                async with self._http().request(method, url, **kwargs) as response:
                    self._note_usage(response.headers)
                    body = await response.read()
                    status = response.status
        except aiohttp.ClientConnectorError as exc:
            raise GraphError(0, f"no connection: {exc!r}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            sent = method != "GET"
            raise GraphError(0, f"no answer: {exc!r}", maybe_applied=sent) from exc
        try:
            answer = json.loads(body)
        except ValueError:
            # A proxy's page or a cut-off body: a write may have been applied all the same.
            raise GraphError(
                0, f"not JSON: {body[:200]!r}", status=status, maybe_applied=method != "GET"
            ) from None
        if isinstance(answer, dict) and "error" in answer:
            raise self._error(answer["error"], status)
        if status >= 500:
            raise GraphError(0, f"server error {status}", status=status)
        return answer if isinstance(answer, dict) else {"data": answer}

    def _error(self, error: dict[str, Any], status: int) -> GraphError:
        code = int(error.get("code") or 0)
        exc = GraphError(
            code or -1,
            str(error.get("message", "")),
            int(error.get("error_subcode") or 0),
            status,
            user_message=str(error.get("error_user_msg") or ""),
            raw=error,
        )
        if code in RATE:
            left = self.paused_until - self._clock()
            exc.retry_after = left if left > 0 else None
        return exc

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        top, wait = usage_pause(headers)
        self.usage = top
        if wait:
            # Meta names the minutes until calls work again: wait them out instead of failing.
            self.paused_until = max(self.paused_until, self._clock() + wait)
            if self._pace is not None and wait <= self._timeout:
                self._pace.pause(wait)  # every adapter on this token waits, not only this one
            log.warning("Graph usage at %s %%: pausing %.0f s", top, wait)

    async def _wait_for_budget(self) -> None:
        left = self.paused_until - self._clock()
        if left <= 0:
            if self.usage >= HIGH:
                await asyncio.sleep(1.0)  # near the limit: spread the calls out
            return
        if left > self._timeout:
            raise GraphError(
                4, "Meta asked us to wait (usage header at its limit)", retry_after=left
            )
        await asyncio.sleep(left)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---- errors as the editors read them ----------------------------------------------------------
AUTH_TEXT = {
    190: "ключ доступа {net} истёк или отозван — получите новый (README, «Facebook и Instagram»)",
    102: "сессия ключа {net} больше не действует — получите новый ключ (см. README)",
    10: "у ключа {net} нет нужного разрешения — выдайте его приложению (см. README)",
    3: "приложению Meta не хватает разрешения на это действие (см. README)",
}
REJECTED_TEXT = {
    368: "{net} временно запретил публикации за нарушение правил — попробуйте позже",
    506: "{net} не принимает одинаковые публикации подряд — измените текст",
    100: "{net} не принял параметры публикации",
    9004: "{net} не смог скачать фото по публичной ссылке — проверьте [public_media] base_url",
    9007: "{net} ещё не обработал фото — попробуйте ещё раз",
    36003: "{net} не принимает такие пропорции фото",
}


def publish_error(exc: GraphError, net: str) -> PublishError:
    """A GraphError as the Desk needs it: the kind, and a Russian reason naming the network."""
    detail = str(exc)
    if exc.maybe_applied:
        return PublishError(
            "uncertain", f"{net} не подтвердил публикацию: ответ не пришёл", None, detail
        )
    if exc.code == 0:
        text = f"{net} не ответил вовремя" if not exc.status else f"{net} ответил ошибкой сервера"
        return PublishError("temporary", text, None, detail)
    if exc.code in RATE:
        return PublishError(
            "temporary", f"{net} просит подождать: слишком много запросов", exc.retry_after, detail
        )
    if exc.code in TEMPORARY:
        return PublishError("temporary", f"{net} временно не принимает запросы", 5.0, detail)
    if exc.kind == "auth":
        template = AUTH_TEXT.get(exc.code, AUTH_TEXT[10])
        return PublishError("auth", template.format(net=net), None, detail)
    template = REJECTED_TEXT.get(exc.code, "")
    if exc.code == 9 or exc.subcode == 2207042:
        template = "{net}: исчерпан лимит публикаций через API за сутки — повторите позже"
    reason = template.format(net=net) if template else f"{net} отклонил публикацию"
    said = exc.user_message or exc.message
    if said and exc.code not in (368, 506):
        reason += f" («{said[:200]}»)"
    return PublishError("rejected", reason, None, detail)


def moderation_error(exc: GraphError, net: str) -> ModerationFailed:
    """A refused comment action in the editor's words; a comment that is not there is `gone`."""
    if exc.gone:
        return ModerationFailed("комментария уже нет", gone=True, detail=str(exc))
    if exc.code == 0:
        return ModerationFailed(f"{net} не ответил вовремя", detail=str(exc))
    if exc.code in RATE:
        return ModerationFailed(
            f"{net} просит подождать — попробуйте через минуту", detail=str(exc)
        )
    if exc.kind == "auth":
        template = AUTH_TEXT.get(exc.code, AUTH_TEXT[10])
        return ModerationFailed(template.format(net=net), detail=str(exc))
    return ModerationFailed(f"{net} ответил ошибкой: {exc.message[:200]}", detail=str(exc))
