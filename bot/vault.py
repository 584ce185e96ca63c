"""Tokens kept encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with
a key that lives outside the database, in PRESSDESK_SECRET_KEY or a key file, so a copy of the
database alone reveals no token. A token is decrypted only to be used, never to be shown.
`fingerprint` tells whether the environment's token changed since one was stored from chat
(bot/token_sources.py): keyed, so the database alone cannot test a guess of a token."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)
KEY_ENV = "PRESSDESK_SECRET_KEY"


class VaultError(Exception):
    """The key is missing or does not open what was stored (the message is Russian)."""


class Vault:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
            self._mac_key = hashlib.sha256(b"pressdesk env fingerprint\0" + key).digest()
        except (ValueError, TypeError) as exc:
            raise VaultError(
                f"Ключ шифрования повреждён: ожидается ключ Fernet (создайте новый: "
                f"python -c 'from cryptography.fernet import Fernet; "
                f"print(Fernet.generate_key().decode())'). {exc}"
            ) from None

    @classmethod
    def from_settings(
        cls, key_file: Path | None, env: dict[str, str] | None = None
    ) -> Vault | None:
        """The key from the environment, else from the key file (created, owner-only, if it is
        configured and missing); None when neither is set up."""
        env = os.environ if env is None else env
        if value := env.get(KEY_ENV):
            return cls(value.encode())
        if key_file is None or not str(key_file):
            return None
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
            log.warning("created the token encryption key file %s: keep a copy of it", key_file)
        return cls(key_file.read_bytes().strip())

    def fingerprint(self, name: str, value: str | None) -> str:
        """HMAC-SHA256 of a token's name and value (an unset one counts as empty)."""
        message = f"{name}\0{value or ''}".encode()
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def seal(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise VaultError(
                "Сохранённый ключ доступа не расшифровывается: ключ шифрования другой. "
                "Верните прежний ключ шифрования или замените ключи доступа заново."
            ) from None
