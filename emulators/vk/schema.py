"""VK's own API schema (vendored under ./schema) and request validation against it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "schema"

# Limits VK enforces that its schema does not carry (documented on dev.vk.com).
EXTRA_LIMITS: dict[str, dict[str, dict[str, Any]]] = {
    "wall.getComments": {"count": {"maximum": 100}},
    "wall.get": {"count": {"maximum": 100}},
    "wall.post": {"message": {"maxLength": 16384}},
    "wall.edit": {"message": {"maxLength": 16384}},
    "wall.createComment": {"message": {"maxLength": 16384}},
    "messages.send": {"random_id": {"required": True}},
    "execute": {"code": {"required": True}},
}

# Parameters VK accepts on every method; they never make a request invalid.
GLOBAL_PARAMS = {"v", "access_token", "lang", "test_mode", "captcha_sid", "captcha_key", "oauth"}


class VKError(Exception):
    """A VK API error answer: {"error": {"error_code", "error_msg", "request_params"}}."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"[{code}] {msg}")
        self.code = code
        self.msg = msg


@dataclass
class Method:
    name: str
    token_types: list[str]
    params: dict[str, dict[str, Any]]


class Schema:
    """Methods and errors of VK API 5.199 as VK describes them."""

    def __init__(self, root: Path = SCHEMA_DIR) -> None:
        self.methods: dict[str, Method] = {}
        for path in sorted(root.glob("*/methods.json")):
            for raw in json.loads(path.read_text(encoding="utf-8"))["methods"]:
                params = {p["name"]: dict(p) for p in raw.get("parameters", [])}
                for pname, extra in EXTRA_LIMITS.get(raw["name"], {}).items():
                    params.setdefault(pname, {"name": pname, "type": "string"}).update(extra)
                self.methods[raw["name"]] = Method(
                    raw["name"], list(raw.get("access_token_type", [])), params
                )
        errors = json.loads((root / "errors.json").read_text(encoding="utf-8"))["errors"]
        self.messages: dict[int, str] = {}
        for err in errors.values():
            self.messages.setdefault(err["code"], err["description"])

    def error(self, code: int, detail: str | None = None) -> VKError:
        """Error with VK's own message for the code, plus VK's usual detail after a colon."""
        base = self.messages.get(code, "Unknown error occurred")
        return VKError(code, f"{base}: {detail}" if detail else base)

    def param_error(self, name: str, what: str = "invalid") -> VKError:
        return self.error(100, f"{name} is {what}")

    def check_token_type(self, method: Method, kind: str) -> None:
        if kind in method.token_types:
            return
        if kind == "group":
            raise self.error(27, "method is unavailable with group auth.")
        if kind == "service":
            raise self.error(28, "method is unavailable with service auth.")
        raise self.error(15, "method is unavailable with user auth.")

    def validate(self, method: Method, params: dict[str, str]) -> dict[str, Any]:
        """Check every parameter against the schema; return them converted to Python types."""
        out: dict[str, Any] = {}
        for name, spec in method.params.items():
            raw = params.get(name)
            if raw is None or raw == "":
                if spec.get("required"):
                    raise self.param_error(name, "missing")
                if "default" in spec:
                    out[name] = spec["default"]
                continue
            out[name] = self._convert(name, spec, raw)
        return out

    def _convert(self, name: str, spec: dict[str, Any], raw: str) -> Any:
        kind = spec.get("type", "string")
        if isinstance(kind, list):  # e.g. integer-or-screen-name: VK resolves it later
            return raw
        if kind == "array":
            items = [x for x in raw.split(",") if x != ""]
            if "maxItems" in spec and len(items) > spec["maxItems"]:
                raise self.param_error(name)
            item_spec = spec.get("items") if isinstance(spec.get("items"), dict) else {}
            item_type = item_spec.get("type", "string") if item_spec else "string"
            if item_type == "integer":
                return [self._int(name, {}, x) for x in items]
            return items
        if kind == "integer":
            return self._int(name, spec, raw)
        if kind == "number":
            try:
                value = float(raw)
            except ValueError:
                raise self.param_error(name) from None
            self._range(name, spec, value)
            return value
        if kind == "boolean":
            lowered = raw.strip().lower()
            if lowered in ("1", "true"):
                return True
            if lowered in ("0", "false"):
                return False
            raise self.param_error(name)
        # string
        if "enum" in spec and raw not in [str(e) for e in spec["enum"]]:
            raise self.param_error(name)
        if "maxLength" in spec and len(raw) > spec["maxLength"]:
            raise self.param_error(name)
        if "minLength" in spec and len(raw) < spec["minLength"]:
            raise self.param_error(name)
        return raw

    def _int(self, name: str, spec: dict[str, Any], raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise self.param_error(name) from None
        if "enum" in spec and value not in spec["enum"]:
            raise self.param_error(name)
        self._range(name, spec, value)
        return value

    def _range(self, name: str, spec: dict[str, Any], value: float) -> None:
        if "minimum" in spec and value < spec["minimum"]:
            raise self.param_error(name)
        if "maximum" in spec and value > spec["maximum"]:
            raise self.param_error(name)
