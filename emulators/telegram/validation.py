"""Request checking: aiogram's pydantic model per method, plus the limits the models don't carry."""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from typing import Any

import aiogram.methods as aiogram_methods
from aiogram.methods.base import TelegramMethod
from pydantic import ValidationError

from .entities import EntityParseError, format_text, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_ACTION_FIELDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status == error_code."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__.lower(): cls
    for cls in vars(aiogram_methods).values()
    if inspect.isclass(cls)
    and issubclass(cls, TelegramMethod)
    and cls is not TelegramMethod
    and not inspect.isabstract(cls)
}


def _accepts_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts_str(arg) for arg in typing.get_args(annotation))
    return False


def decode_params(model: type[TelegramMethod[Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Form fields arrive as strings; nested objects are JSON strings (as aiogram sends them)."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        field = model.model_fields.get(key)
        if isinstance(value, str) and field is not None and not _accepts_str(field.annotation):
            stripped = value.strip()
            if stripped[:1] in "[{":
                try:
                    value = json.loads(stripped)
                except ValueError as exc:
                    raise bad_request(f"can't parse {key} JSON object") from exc
        if key in ("chat_id", "from_chat_id") and isinstance(value, str):
            if re.fullmatch(r"-?\d+", value.strip()):
                value = int(value)
        params[key] = value
    return params


def validate(
    method: str, raw: dict[str, Any], *, reject_unknown: bool
) -> tuple[TelegramMethod[Any], dict[str, Any]]:
    """Returns the parsed aiogram model and the decoded params, or raises ApiError(400)."""
    model = METHODS[method.lower()]
    params = decode_params(model, raw)
    if reject_unknown:
        known = set(model.model_fields)
        unknown = sorted(k for k in params if k not in known)
        if unknown:
            raise bad_request(f'unknown parameter "{unknown[0]}"')
    for name, field in model.model_fields.items():
        if field.is_required() and params.get(name) in (None, ""):
            if name == "chat_id":
                raise bad_request("chat_id is empty")
            if name == "text":
                raise bad_request("message text is empty")
            raise bad_request(f'parameter "{name}" is required')
    try:
        parsed = model.model_validate(params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise bad_request(f"can't parse parameter {where}: {err['msg']}") from exc
    return parsed, params


def formatted(
    text: str | None,
    parse_mode: Any,
    entities: Any,
    *,
    caption: bool,
) -> tuple[str, list[dict[str, Any]]]:
    """Entity parsing plus the UTF-16 length limits of text and captions."""
    mode = parse_mode if isinstance(parse_mode, str) else None
    ents = [
        e.model_dump(exclude_none=True) if hasattr(e, "model_dump") else e for e in entities or []
    ]
    try:
        plain, parsed = format_text(text or "", mode, ents)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    except ValueError as exc:
        raise bad_request("unsupported parse_mode") from exc
    size = utf16_len(plain)
    if caption:
        if size > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    else:
        if size == 0:
            raise bad_request("message text is empty")
        if size > TEXT_LIMIT:
            raise bad_request("message is too long")
    return plain, parsed


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Returns the markup as a dict after the checks the server makes on inline keyboards."""
    if markup is None:
        return None
    data = markup.model_dump(exclude_none=True) if hasattr(markup, "model_dump") else markup
    rows = data.get("inline_keyboard")
    if rows is None:
        return data
    total = 0
    for row in rows:
        for button in row:
            total += 1
            actions = [f for f in _ACTION_FIELDS if button.get(f) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    f"only one of {', '.join(actions)} can be specified"
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", button["url"]):
                raise bad_request("BUTTON_URL_INVALID")
    if total > 100:
        raise bad_request("reply markup is too long")
    return data
