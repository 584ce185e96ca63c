"""Every handler and filter of the Telegram routers runs in the event loop.

aiogram sends anything that is not a coroutine function through asyncio.to_thread: a bare
state (ReportDialog.title) or magic filter (F.text) as a filter costs a worker-thread hop per
check, per update. This keeps such a filter from slipping back in."""

from __future__ import annotations

from handlers.telegram import get_routers


def test_every_filter_and_handler_is_async() -> None:
    sync = []
    for router in get_routers():
        for name, observer in router.observers.items():
            handlers = [*observer.handlers]
            if getattr(observer, "_handler", None) is not None:
                handlers.append(observer._handler)  # the router-level filters
            for handler in handlers:
                if handler not in (getattr(observer, "_handler", None),) and not handler.awaitable:
                    sync.append(f"{router.name}.{name}: handler {handler.callback!r}")
                for flt in handler.filters or []:
                    if not flt.awaitable:
                        sync.append(f"{router.name}.{name}: filter {flt.callback!r}")
    assert sync == []
