"""The subset of VKScript that `execute` runs here.

Supported: `var name = <expr>;`, `return <expr>;`, API calls `API.section.method({...})`,
array and object literals (keys quoted or bare), strings, numbers, true/false/null, variables,
and `.field` / `[index]` access on values. Anything else is VK's error 12 (compile error).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from .schema import Schema, VKError

MAX_CALLS = 25

TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<punct>[{}\[\]():;,.=])
    )""",
    re.VERBOSE,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "/": "/"}

Caller = Callable[[str, dict[str, str]], Awaitable[Any]]


class CompileError(Exception):
    pass


class _Call:
    """An API call found by the parser; evaluated in program order."""

    def __init__(self, method: str, args: Any) -> None:
        self.method, self.args = method, args


class _Var:
    def __init__(self, name: str, path: list[Any]) -> None:
        self.name, self.path = name, path


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: _escape(m[1]), body)


def _escape(seq: str) -> str:
    return chr(int(seq[1:], 16)) if seq.startswith("u") and len(seq) == 5 else ESCAPES.get(seq, seq)


def tokenize(code: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos, code = 0, code.rstrip()
    while pos < len(code):
        match = TOKEN_RE.match(code, pos)
        if match is None or match.end() == pos:
            raise CompileError(f"unexpected character at {pos}")
        pos = match.end()
        kind = match.lastgroup or ""
        text = match[kind]
        if kind == "str":
            tokens.append(("value", _unquote(text)))
        elif kind == "num":
            tokens.append(("value", float(text) if "." in text else int(text)))
        elif kind == "name" and text in ("true", "false", "null"):
            tokens.append(("value", {"true": True, "false": False, "null": None}[text]))
        else:
            tokens.append((kind, text))
    return tokens


class Parser:
    def __init__(self, code: str) -> None:
        self.tokens = tokenize(code)
        self.i = 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", None)

    def take(self, text: str | None = None) -> tuple[str, Any]:
        token = self.peek()
        if token[0] == "eof" or (text is not None and token[1] != text):
            raise CompileError(f"expected {text!r}, got {token[1]!r}")
        self.i += 1
        return token

    def program(self) -> list[tuple[str, Any, Any]]:
        statements: list[tuple[str, Any, Any]] = []
        while self.peek()[0] != "eof":
            if self.peek() == ("name", "var"):
                self.take()
                name = self.take()[1]
                self.take("=")
                statements.append(("var", name, self.expr()))
            elif self.peek() == ("name", "return"):
                self.take()
                statements.append(("return", None, self.expr()))
            else:
                statements.append(("expr", None, self.expr()))
            while self.peek() == ("punct", ";"):
                self.take()
        return statements

    def expr(self) -> Any:
        kind, text = self.peek()
        if kind == "value":
            self.take()
            return text
        if text == "[":
            self.take()
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] != "]":
                    self.take(",")
            self.take("]")
            return self.postfix(items)
        if text == "{":
            return self.postfix(self.obj())
        if kind == "name" and text == "API":
            self.take()
            self.take(".")
            section = self.take()[1]
            self.take(".")
            method = self.take()[1]
            self.take("(")
            args = self.obj() if self.peek()[1] == "{" else {}
            self.take(")")
            return self.postfix(_Call(f"{section}.{method}", args))
        if kind == "name":
            self.take()
            return self.postfix(_Var(text, []))
        raise CompileError(f"unexpected {text!r}")

    def obj(self) -> dict[Any, Any]:
        self.take("{")
        out: dict[Any, Any] = {}
        while self.peek()[1] != "}":
            kind, key = self.take()
            if kind not in ("value", "name"):
                raise CompileError(f"bad key {key!r}")
            self.take(":")
            out[str(key)] = self.expr()
            if self.peek()[1] != "}":
                self.take(",")
        self.take("}")
        return out

    def postfix(self, base: Any) -> Any:
        path: list[Any] = []
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                path.append(self.take()[1])
            else:
                path.append(self.expr())
                self.take("]")
        if not path:
            return base
        return _Var("", [base, *path]) if not isinstance(base, _Var) else _Var(base.name, path)


def _param(value: Any) -> str:
    """How VK would see a script value passed as an API parameter."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(_param(v) for v in value)
    return "" if value is None else str(value)


class Runner:
    """Runs one parsed program, making at most MAX_CALLS API calls."""

    def __init__(self, schema: Schema, call: Caller) -> None:
        self.schema, self.call = schema, call
        self.calls = 0
        self.errors: list[dict[str, Any]] = []
        self.vars: dict[str, Any] = {}

    async def run(self, code: str) -> Any:
        try:
            program = Parser(code).program()
        except CompileError as exc:
            raise self.schema.error(12, str(exc)) from None
        for kind, name, expr in program:
            value = await self.eval(expr)
            if kind == "var":
                self.vars[name] = value
            elif kind == "return":
                return value
        return None

    async def eval(self, node: Any) -> Any:
        if isinstance(node, _Call):
            self.calls += 1
            if self.calls > MAX_CALLS:
                raise self.schema.error(13, "Too many API calls")
            args = {k: _param(await self.eval(v)) for k, v in node.args.items()}
            try:
                return await self.call(node.method, args)
            except VKError as err:
                # VK keeps running: the failed call yields false and is listed in execute_errors.
                self.errors.append(
                    {"method": node.method, "error_code": err.code, "error_msg": err.msg}
                )
                return False
        if isinstance(node, _Var):
            if node.name:
                if node.name not in self.vars:
                    raise self.schema.error(13, f"variable {node.name} is not defined")
                value, path = self.vars[node.name], node.path
            else:
                value, path = await self.eval(node.path[0]), node.path[1:]
            for step in path:
                value = self._index(value, await self.eval(step))
            return value
        if isinstance(node, list):
            return [await self.eval(x) for x in node]
        if isinstance(node, dict):
            return {k: await self.eval(v) for k, v in node.items()}
        return node

    @staticmethod
    def _index(value: Any, key: Any) -> Any:
        if isinstance(value, dict):
            return value.get(str(key))
        if isinstance(value, list):
            if isinstance(key, int):
                return value[key] if 0 <= key < len(value) else None
            # VKScript maps a field over a list: items@.id; we allow items.id the same way
            return [v.get(str(key)) if isinstance(v, dict) else None for v in value]
        return None
