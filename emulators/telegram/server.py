"""HTTP side: the Bot API routes, file downloads and the /_emu/ control API for the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import TYPE_CHECKING, Any

from aiogram.methods.base import Response
from aiohttp import web
from pydantic import ValidationError

from . import api_edits, api_messages, api_misc, api_polls
from .api_messages import Call, FilePart
from .validation import METHODS, ApiError, decode_params, validate

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

HANDLERS = {
    **api_messages.HANDLERS,
    **api_edits.HANDLERS,
    **api_misc.HANDLERS,
    **api_polls.HANDLERS,
}
UPLOAD_LIMIT = 50 * 1024 * 1024
EMU_KEY: web.AppKey[TelegramEmulator] = web.AppKey("telegram_emulator")


def _answer(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, FilePart]]:
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, FilePart] = {}
    if request.method != "POST" or not request.body_exists:
        return raw, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON body") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        raw.update(body)
        return raw, files
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, "Request Entity Too Large") from exc
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = (value.file.read(), value.filename or key, value.content_type)
        else:
            raw[key] = value
    return raw, files


def _take_fault(emu: TelegramEmulator, method: str, raw: dict[str, Any]) -> dict[str, Any] | None:
    for fault in emu.faults:
        chat = fault.get("chat_id")
        if chat is not None and str(raw.get("chat_id", "")) != chat:
            continue
        if fault["left"] > 0 and fault["method"] in ("*", method.lower()):
            fault["left"] -= 1
            return fault
    return None


FLOOD_COUNTED = ("send", "copy", "forward")


def _check_flood(emu: TelegramEmulator, name: str, raw: dict[str, Any]) -> None:
    """Telegram's per-chat message limits (when the emulator enforces them)."""
    if not emu.flood_limits or not name.startswith(FLOOD_COUNTED) or name == "sendchataction":
        return
    chat = str(raw.get("chat_id", ""))
    if not chat:
        return
    count, seconds = emu.flood_limits["private" if chat.isdigit() else "group"]
    now = emu.clock()
    window = [t for t in emu.flood_windows.get(chat, []) if t > now - seconds]
    if len(window) >= count:
        emu.flood_windows[chat] = window
        emu.flood_refusals += 1
        wait = max(1, math.ceil(window[0] + seconds - now))
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
    window.append(now)
    emu.flood_windows[chat] = window


async def _hold(emu: TelegramEmulator) -> None:
    """Keeps a request hanging (a timeout fault) until the client gives up or we stop."""
    closing = emu._closing or asyncio.Event()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(closing.wait(), emu.fault_timeout_seconds)


async def _bot_api(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMU_KEY]
    token = request.match_info["token"]
    method = request.match_info["method"]
    bot = next((b for b in emu.bots.values() if b.token == token), None)
    try:
        if bot is None:
            raise ApiError(401, "Unauthorized")
        raw, files = await _read_params(request)
        name = method.lower()
        if name not in METHODS:
            raise ApiError(404, "Not Found")
        model_cls = METHODS[name]
        for key in files:  # a file part named like a parameter, e.g. photo=@file.jpg
            if key in model_cls.model_fields and key not in raw:
                raw[key] = f"attach://{key}"
        try:  # log typed values (chat_id as int, reply_markup as dict) for assertions
            logged = decode_params(model_cls, raw)
        except ApiError:
            logged = dict(raw)
        emu.calls.append((model_cls.__api_method__, logged))
        emu._notify_change()
        fault = _take_fault(emu, name, raw)
        if fault and fault["kind"] == "timeout":
            await _hold(emu)
            raise ApiError(504, "Gateway Timeout")
        if fault and fault["kind"] == "500":
            raise ApiError(500, "Internal Server Error")
        if fault and fault["kind"] == "garbage":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>")
        if fault and fault["kind"] == "wrong_type":
            return _answer({"ok": True, "result": {"id": "not a number", "type": 7}})
        if fault and fault["kind"] == "429":
            seconds = int(fault["retry_after"])
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        _check_flood(emu, name, raw)
        handler = HANDLERS.get(name)
        if handler is None:
            raise ApiError(501, f"Not Implemented: {method} is not emulated")
        model, params = validate(name, raw, reject_unknown=emu.reject_unknown_params)
        result = await handler(Call(emu, bot, name, model, params, files))
        if emu.validate_responses:
            _check_result(model_cls, result)
        if delay := emu.answer_delays.get(name):  # a slow server: applied, answer late
            await asyncio.sleep(delay)
        if fault and fault["kind"] == "lost_response":
            await _hold(emu)
        if fault and fault["kind"] == "garbled":  # applied; the answer cut off mid-body
            return web.Response(text='{"ok": true, "result": {"message_id', status=200)
    except ApiError as err:
        return _answer(err.payload(), status=err.code)
    return _answer({"ok": True, "result": result})


def _check_result(model_cls: Any, result: Any) -> None:
    """Our own answers must parse with aiogram's types; a failure is an emulator bug."""
    try:
        Response[model_cls.__returning__].model_validate({"ok": True, "result": result})
    except ValidationError as exc:
        raise ApiError(500, f"Internal Server Error: emulator built a bad result: {exc}") from exc


async def _download(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMU_KEY]
    if not any(b.token == request.match_info["token"] for b in emu.bots.values()):
        return _answer({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    stored = emu.files.by_path.get(request.match_info["path"])
    if stored is None:
        return _answer({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


# ----- control API for the sandbox page --------------------------------------------------------


def _control(func: Any) -> Any:
    """Maps the Python API's exceptions to HTTP answers."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await func(request, request.app[EMU_KEY])
        except (LookupError, KeyError) as exc:
            return web.json_response({"error": str(exc)}, status=404)
        except (ValueError, TypeError, PermissionError, RuntimeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return wrapper


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


@_control
async def _c_add_user(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    body = await request.json()
    user = emu.add_user(
        int(body["id"]), body["first_name"], body.get("last_name", ""), body.get("username")
    )
    return web.json_response(user)


@_control
async def _c_text(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    body = await request.json()
    msg = emu.user_sends_text(
        int(request.match_info["user_id"]),
        body["text"],
        chat_id=_int(body.get("chat_id")),
        reply_to_message_id=_int(body.get("reply_to_message_id")),
    )
    return web.json_response(msg)


@_control
async def _c_vote(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    body = await request.json()
    try:
        poll = emu.cast_vote(
            int(request.match_info["chat_id"]),
            int(request.match_info["message_id"]),
            int(body["option"]),
        )
    except (KeyError, IndexError, ValueError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(poll)


@_control
async def _c_photo(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    form = await request.post()
    photos = [v.file.read() for v in form.values() if isinstance(v, web.FileField)]
    caption = form.get("caption")
    sent = emu.user_sends_photos(
        int(request.match_info["user_id"]),
        photos,
        caption=caption if isinstance(caption, str) and caption else None,
        chat_id=_int(form.get("chat_id")),
    )
    return web.json_response(sent)


@_control
async def _c_send_file(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    """A person sends one file: `kind` video (as a video) or document (as a file)."""
    form = await request.post()
    files = [v for v in form.values() if isinstance(v, web.FileField)]
    if len(files) != 1:
        raise ValueError("send exactly one file")
    field, caption = files[0], form.get("caption")
    user_id, chat_id = int(request.match_info["user_id"]), _int(form.get("chat_id"))
    caption = caption if isinstance(caption, str) and caption else None
    data = field.file.read()
    if form.get("kind") == "video":
        sent = emu.user_sends_video(user_id, data, caption=caption, chat_id=chat_id)
    else:
        mime = field.content_type or "application/octet-stream"
        name = field.filename or "file"
        sent = emu.user_sends_document(user_id, data, name, mime, caption=caption, chat_id=chat_id)
    return web.json_response(sent)


@_control
async def _c_press(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    body = await request.json()
    user_id = int(request.match_info["user_id"])
    chat_id, message_id = int(body["chat_id"]), int(body["message_id"])
    if "button_text" in body:
        query_id = emu.press(user_id, chat_id, message_id, body["button_text"])
    else:
        query_id = emu.user_presses_button(user_id, chat_id, message_id, body["callback_data"])
    return web.json_response({"callback_query_id": query_id})


@_control
async def _c_chats(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    return web.json_response([c.chat for c in emu.chats.values()])


@_control
async def _c_messages(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    chat_id = int(request.match_info["chat_id"])
    return web.json_response(
        {
            "messages": emu.chat_messages(chat_id),
            "deleted": emu.deleted_messages(chat_id),
            "reply_keyboard": emu.reply_keyboard(chat_id),
        }
    )


@_control
async def _c_callback_answer(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    return web.json_response(emu.callback_answer(request.match_info["query_id"]))


@_control
async def _c_file(request: web.Request, emu: TelegramEmulator) -> web.StreamResponse:
    stored = emu.files.by_id[request.match_info["file_id"]]
    return web.Response(body=stored.data, content_type=stored.mime_type or "image/jpeg")


async def _c_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: one `data:` line per state change."""
    emu = request.app[EMU_KEY]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    queue = emu.subscribe()
    closing = emu._closing or asyncio.Event()
    try:
        while not closing.is_set():
            getter = asyncio.ensure_future(queue.get())
            stopper = asyncio.ensure_future(closing.wait())
            done, pending = await asyncio.wait(
                {getter, stopper}, timeout=15, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if getter in done:
                data = json.dumps(getter.result(), ensure_ascii=False)
                await response.write(f"data: {data}\n\n".encode())
            elif not done:
                await response.write(b": keep-alive\n\n")
    except ConnectionResetError:
        pass
    finally:
        emu.unsubscribe(queue)
    return response


def build_app(emu: TelegramEmulator) -> web.Application:
    app = web.Application(client_max_size=UPLOAD_LIMIT)
    app[EMU_KEY] = emu
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", _download)
    app.router.add_post("/_emu/users", _c_add_user)
    app.router.add_post("/_emu/users/{user_id}/text", _c_text)
    app.router.add_post("/_emu/users/{user_id}/photo", _c_photo)
    app.router.add_post("/_emu/users/{user_id}/file", _c_send_file)
    app.router.add_post("/_emu/users/{user_id}/press", _c_press)
    app.router.add_get("/_emu/chats", _c_chats)
    app.router.add_get("/_emu/chats/{chat_id}/messages", _c_messages)
    app.router.add_post("/_emu/chats/{chat_id}/messages/{message_id}/vote", _c_vote)
    app.router.add_get("/_emu/callback_answers/{query_id}", _c_callback_answer)
    app.router.add_get("/_emu/files/{file_id}", _c_file)
    app.router.add_get("/_emu/events", _c_events)
    return app
