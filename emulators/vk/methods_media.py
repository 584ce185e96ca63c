"""Video and document uploads for the wall, as VK does them (dev.vk.com/en/api/upload/…).

Video (…/upload/video-in-profile): `video.save` (user token, scope video; `group_id` for a
community) answers {access_key, description, owner_id, title, upload_url, video_id}; the file goes
to upload_url as multipart field `video_file`, whose answer is {video_hash, size, owner_id,
video_id}; the post then attaches `video<owner_id>_<video_id>`. Accepted formats: AVI, MP4, 3GP,
MPEG, MOV, MP3, FLV, WMV.
Documents (…/upload/document-in-profile): `docs.getWallUploadServer` (`group_id` for a
community) answers {upload_url}; the file goes there as multipart field `file` (any format
except MP3 and executables, at most 200 MB), whose answer is {file}; `docs.save` with that
`file` (and a `title`) answers {type: "doc", doc: {...}}; the post attaches `doc<owner>_<id>`.
What the emulator checks beyond that: a video attached to a post must have been uploaded; the
bytes of a video must be one of those formats (by their signature, as VK's converter would
fail on anything else); the answer of a refused upload is {"error": …} like VK's upload servers.
"""

from __future__ import annotations

import secrets
from json import dumps
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .context import Ctx, Handler
from .methods_misc import USER_BITS

if TYPE_CHECKING:
    from .emulator import VKEmulator

DOC_LIMIT = 200 * 1024 * 1024
VIDEO_LIMIT = 256 * 1024 * 1024 * 1024  # VK names none this small; the emulator's HTTP cap rules
DOC_TYPES = {"txt": 1, "zip": 2, "gif": 3, "jpg": 4, "png": 4, "mp3": 5, "mp4": 6}  # docs_doc_type


def video_format(data: bytes) -> str | None:
    """The video container these bytes are in (as far as VK's converter would take it)."""
    head = data[:16]
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else ("3gp" if head[8:11] == b"3gp" else "mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:3] == b"FLV":
        return "flv"
    if head[:4] == b"\x00\x00\x01\xba" or head[:4] == b"\x00\x00\x01\xb3":
        return "mpeg"
    if head[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"):
        return "wmv"
    return None


def refused_document(data: bytes, filename: str) -> str | None:
    """Why VK's document upload refuses this file (MP3, executables, over 200 MB), or None."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if len(data) > DOC_LIMIT:
        return "file is too big"
    if ext == "mp3" or data[:3] == b"ID3":
        return "mp3 files are not allowed"
    if data[:2] == b"MZ" or data[:4] == b"\x7fELF" or ext in ("exe", "bat", "cmd", "msi", "sh"):
        return "executable files are not allowed"
    return None


def _scope(ctx: Ctx, right: str) -> None:
    if ctx.token.kind == "user" and not ctx.token.scope & USER_BITS[right]:
        raise ctx.fail(15, f"no access to {right}: the token lacks the «{right}» right")


def video_save(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _scope(ctx, "video")
    group_id = p.get("group_id") or 0
    if group_id and (group_id not in ctx.state.groups or not ctx.is_admin(group_id)):
        raise ctx.fail(204)
    if p.get("link"):
        raise ctx.bad("link", "external videos are not emulated")
    owner_id = -group_id if group_id else ctx.token.user_id
    state = ctx.state
    state.video_seq[owner_id] += 1
    video_id = state.video_seq[owner_id]
    access_key = secrets.token_hex(9)
    title = str(p.get("name") or "Untitled")[:128]
    video = {
        "id": video_id,
        "owner_id": owner_id,
        "title": title,
        "description": str(p.get("description") or "")[:5000],
        "duration": 0,
        "date": state.now(),
        "access_key": access_key,
        "processing": 1,
        "_uploaded": False,
    }
    state.videos[(owner_id, video_id)] = video
    token = secrets.token_hex(12)
    state.video_uploads[token] = (owner_id, video_id)
    url = f"{ctx.base_url}/upload/video?t={token}&vkOwnerId={owner_id}&vkVideoId={video_id}"
    return {
        "access_key": access_key,
        "description": video["description"],
        "owner_id": owner_id,
        "title": title,
        "upload_url": url,
        "video_id": video_id,
    }


def docs_get_wall_upload_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _scope(ctx, "docs")
    group_id = p.get("group_id") or 0
    if group_id and (group_id not in ctx.state.groups or not ctx.is_admin(group_id)):
        raise ctx.fail(15, "no access to the community's documents")
    uid = ctx.token.user_id if ctx.token.kind == "user" else 0
    return {"upload_url": f"{ctx.base_url}/upload/doc?uid={uid}&gid={group_id}"}


def docs_save(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    _scope(ctx, "docs")
    state = ctx.state
    upload = state.doc_uploads.pop(str(p["file"]), None)
    if upload is None:
        raise ctx.fail(105)
    owner_id = -upload["gid"] if upload["gid"] else upload["uid"]
    state.doc_seq[owner_id] += 1
    doc_id = state.doc_seq[owner_id]
    title = str(p.get("title") or upload["filename"] or "document")
    ext = upload["filename"].rsplit(".", 1)[-1].lower() if "." in upload["filename"] else ""
    doc = {
        "id": doc_id,
        "owner_id": owner_id,
        "title": title,
        "size": len(upload["data"]),
        "ext": ext,
        "url": f"{ctx.base_url}/_emu/docs/{owner_id}_{doc_id}",
        "date": state.now(),
        "type": DOC_TYPES.get(ext, 8),
        "access_key": secrets.token_hex(9),
    }
    state.docs[(owner_id, doc_id)] = doc
    state.doc_data[(owner_id, doc_id)] = upload["data"]
    state.notify({"kind": "doc", "owner_id": owner_id, "id": doc_id})
    return {"type": "doc", "doc": dict(doc)}


async def _file_field(request: web.Request, name: str) -> tuple[bytes, str]:
    if request.content_type != "multipart/form-data":
        return b"", ""
    form = await request.post()
    field = form.get(name)
    if field is None or isinstance(field, str):
        return b"", ""
    return field.file.read(), field.filename or ""


def _json(answer: dict[str, Any]) -> web.Response:
    return web.Response(text=dumps(answer, ensure_ascii=False), content_type="application/json")


def upload_routes(emu: VKEmulator) -> list[web.RouteDef]:
    state = emu.state

    async def upload_video(request: web.Request) -> web.Response:
        ref = state.video_uploads.get(request.query.get("t", ""))
        if ref is None:
            return _json({"error": "invalid upload url"})
        data, _ = await _file_field(request, "video_file")
        if not data:
            return _json({"error": "no video_file in the request"})
        if len(data) > VIDEO_LIMIT or video_format(data) is None:
            return _json({"error": "the file is not a video VK can convert"})
        del state.video_uploads[request.query["t"]]
        video = state.videos[ref]
        video["_uploaded"] = True
        video.pop("processing", None)
        state.video_data[ref] = data
        state.notify({"kind": "video", "owner_id": ref[0], "id": ref[1]})
        owner_id, video_id = ref
        return _json(
            {
                "video_hash": secrets.token_hex(9),
                "size": len(data),
                "owner_id": owner_id,
                "video_id": video_id,
            }
        )

    async def upload_doc(request: web.Request) -> web.Response:
        data, filename = await _file_field(request, "file")
        if not data:
            return _json({"error": "no file in the request"})
        refused = refused_document(data, filename)
        if refused:
            return _json({"error": refused})
        token = f"{request.query.get('uid', '0')}|{secrets.token_hex(16)}|{filename}"
        state.doc_uploads[token] = {
            "data": data,
            "filename": filename,
            "uid": int(request.query.get("uid", "0")),
            "gid": int(request.query.get("gid", "0")),
        }
        return _json({"file": token})

    async def doc_file(request: web.Request) -> web.Response:
        owner, _, item = request.match_info["ref"].partition("_")
        data = state.doc_data.get((int(owner), int(item)))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    async def video_file(request: web.Request) -> web.Response:
        owner, _, item = request.match_info["ref"].partition("_")
        data = state.video_data.get((int(owner), int(item)))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="video/mp4")

    return [
        web.post("/upload/video", upload_video),
        web.post("/upload/doc", upload_doc),
        web.get("/_emu/docs/{ref}", doc_file),
        web.get("/_emu/videos/{ref}", video_file),
    ]


def public_video(video: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in video.items() if not k.startswith("_")}


HANDLERS: dict[str, Handler] = {
    "video.save": video_save,
    "docs.getWallUploadServer": docs_get_wall_upload_server,
    "docs.save": docs_save,
}
