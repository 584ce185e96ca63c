"""The classifier the bot uses now, reloaded when its model file changes, and the nightly retrain.

The nightly job adapts the shipped model to every decision the editors have made so far
(`train.adapt`: needs only the repo, a few seconds) and writes it atomically to `model_path`. Every
instance of the bot sharing that file notices the new modification time on its next comment (the
file is looked at no more often than every RELOAD_CHECK_SECONDS) and swaps the classifier in
place: no restart, and a comment being classified meanwhile finishes on the old one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from bot.moderation.classifier import Classifier
from bot.moderation.model import DEFAULT_MODEL_PATH
from bot.moderation.train import TrainReport, adapt
from bot.people import audit
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 5.0


class ModelKeeper:
    def __init__(self, model_path: Path, stop_list: Sequence[str] = ()) -> None:
        self._path = model_path
        self._stop_list = tuple(stop_list)
        self._classifier: Classifier | None = None
        self._loaded_mtime: int | None = None  # of model_path; None: the shipped model
        self._checked = 0.0
        self._lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return self._path

    def _mtime(self) -> int | None:
        try:
            return self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    @property
    def classifier(self) -> Classifier:
        now = time.monotonic()
        if self._classifier is None or now - self._checked >= RELOAD_CHECK_SECONDS:
            self._checked = now
            if self._classifier is None or self._mtime() != self._loaded_mtime:
                self.reload()
        assert self._classifier is not None
        return self._classifier

    def reload(self) -> Classifier:
        """Load model_path if it exists (the office's model wins), else the shipped one."""
        mtime = self._mtime()
        try:
            clf = Classifier(self._path if mtime is not None else None, stop_list=self._stop_list)
        except (OSError, ValueError, KeyError) as exc:
            if self._classifier is None:
                log.error(
                    "moderation model %s is unreadable (%s): the shipped one is used",
                    self._path,
                    exc,
                )
                clf = Classifier(None, stop_list=self._stop_list)
            else:
                log.error(
                    "moderation model %s is unreadable (%s): keeping the loaded one",
                    self._path,
                    exc,
                )
                return self._classifier
        self._classifier, self._loaded_mtime = clf, mtime
        log.info(
            "moderation model loaded from %s",
            self._path if mtime is not None else DEFAULT_MODEL_PATH,
        )
        return clf

    async def retrain(self, decisions: list[tuple[str, str, bool]]) -> TrainReport:
        """Adapt the shipped model to the decisions in a worker thread, then load it."""
        async with self._lock:  # two triggers at once train once after the other
            report = await asyncio.to_thread(adapt, decisions, self._path)
            self.reload()
            return report


async def retrain_office_model(
    keeper: ModelKeeper,
    uow: Callable[[], UnitOfWork],
    tell_editors: Callable[[str], Awaitable[None]],
    clock: Callable[[], datetime],
) -> str:
    """Every decision kept so far into the office's model; a failure goes to the editors, since a
    model that silently stops learning is a broken promise."""
    async with uow() as u:
        decisions = [(e.text, e.head, e.label) for e in await u.examples.all()]
    try:
        report = await keeper.retrain(decisions)
    except Exception as exc:
        log.exception("moderation retrain failed")
        text = (
            "Не получилось дообучить модель модерации на решениях редакторов "
            f"({type(exc).__name__}: {exc}). Бот работает на прежней модели; "
            "попробуйте «pressdesk moderation train» или сообщите разработчикам."
        )
        await tell_editors(text)
        return text
    async with uow() as u:
        await audit(u, clock(), "moderation.retrained", details=f"{len(decisions)} decisions")
        await u.commit()
    return f"Модель дообучена на {len(decisions)} решениях: {report.path}"
