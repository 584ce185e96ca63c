"""One signed call to OK's REST API (fb.do), paced, with OK's refusals kept as codes.

The signature, as OK documents it for a request made with an access token (the group's
"eternal" token included): sort the parameters except `access_token` (and `sig`), join them as
"k=v" with nothing between, append md5(access_token + application_secret_key), take the md5 of
the whole string in lowercase. Source: the signature block on
apiok.ru/dev/methods/rest/photosV2/photosV2.getUploadUrl («Используем для подписи secret_key =
MD5(access_token + application_secret_key) … Сортируем и склеиваем параметры запроса и
secret_key … Рассчитываем MD5»).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import aiohttp

from networks.ratelimit import Rate, pace_for

# OK publishes no per-application rate; a few calls a second is what its examples use and
# keeps a polling bot well clear of FLOOD_BLOCKED.
RPS = 5
FLOOD_BLOCKED = 8


class OKCallError(Exception):
    """OK answered {"error_code", "error_msg"}."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"OK error {code}: {message}")
        self.code = code
        self.message = message


class OKUnavailable(Exception):
    """No usable answer: a timeout, a dropped connection, a 5xx or a page that is not JSON.

    `reached`: the request may have been applied (it went out and its answer was lost);
    False when nothing reached OK or OK answered with a server error."""

    def __init__(self, detail: str, reached: bool = False) -> None:
        super().__init__(detail)
        self.reached = reached


def sign(params: dict[str, str], access_token: str, application_secret_key: str) -> str:
    secret = hashlib.md5((access_token + application_secret_key).encode()).hexdigest().lower()
    pairs = "".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("access_token", "sig")
    )
    return hashlib.md5((pairs + secret).encode()).hexdigest().lower()


class OKApi:
    def __init__(
        self,
        url: str,
        access_token: str,
        application_key: str,
        application_secret_key: str,
        timeout: float = 20,
        rps: float = RPS,
    ) -> None:
        self.url = url
        self._token = access_token
        self._key = application_key
        self._secret = application_secret_key
        self.timeout = timeout
        # Every adapter on this token (the group's topics and its comments) shares one pace.
        self.pace = pace_for(access_token, Rate(rps, 1.0))
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    def with_token(self, access_token: str) -> OKApi:
        """A trial copy on another access token (the same application), to check it first."""
        return OKApi(self.url, access_token, self._key, self._secret, self.timeout)

    def use_token(self, access_token: str) -> None:
        """Every later call signs with and sends `access_token`: the topics, comments and
        statistics share this object. The pace stays (the group's calls are still one stream)."""
        self._token = access_token

    def signed(self, method: str, params: dict[str, Any]) -> dict[str, str]:
        values = {k: str(v) for k, v in params.items()}
        values |= {"method": method, "application_key": self._key, "format": "json"}
        values["sig"] = sign(values, self._token, self._secret)
        values["access_token"] = self._token
        return values

    async def call(self, method: str, **params: Any) -> Any:
        """One call, paced; FLOOD_BLOCKED is waited out and the call made again."""
        return await self.pace.call(lambda: self._once(method, params), retry_after=_flooded)

    async def _once(self, method: str, params: dict[str, Any]) -> Any:
        body = self.signed(method, params)
        try:
            async with self._http().post(self.url, data=body) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientConnectorError as exc:
            raise OKUnavailable(repr(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OKUnavailable(repr(exc), reached=True) from exc
        if status >= 500:
            raise OKUnavailable(f"HTTP {status}")
        try:
            answer = json.loads(text)
        except ValueError as exc:
            raise OKUnavailable(f"HTTP {status}, not JSON: {text[:200]!r}", reached=True) from exc
        if isinstance(answer, dict) and "error_code" in answer:
            raise OKCallError(int(answer["error_code"]), str(answer.get("error_msg", "")))
        return answer

    async def upload(
        self, url: str, files: list[tuple[str, bytes, str]], field: str = ""
    ) -> dict[str, Any]:
        """The second step of an upload: photos as pic1, pic2… (`field` unset), a video as the
        one multipart field `data` (apiok.ru/en/dev/examples/video_upload)."""
        form = aiohttp.FormData()
        for index, (filename, data, mime) in enumerate(files, start=1):
            form.add_field(field or f"pic{index}", data, filename=filename, content_type=mime)
        await self.pace.wait()
        try:
            async with asyncio.timeout(self.timeout * (1 + len(files))):
                async with self._http().post(url, data=form) as response:
                    text, status = await response.text(), response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OKUnavailable(repr(exc)) from exc
        if status >= 500:
            raise OKUnavailable(f"upload HTTP {status}")
        try:
            answer = json.loads(text)
        except ValueError as exc:
            raise OKUnavailable(f"upload answered {text[:200]!r}") from exc
        if "error_code" in answer:
            raise OKCallError(int(answer["error_code"]), str(answer.get("error_msg", "")))
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _flooded(exc: BaseException) -> float | None:
    return 1.0 if isinstance(exc, OKCallError) and exc.code == FLOOD_BLOCKED else None
