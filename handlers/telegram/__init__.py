"""Telegram transport: aiogram routers, one per feature, collected in order."""

from aiogram import Router, methods
from aiogram.methods.base import Response

from handlers.telegram import (
    access,
    accounts,
    admin,
    announce,
    common,
    control,
    corrections,
    fallback,
    formats,
    invite,
    lists,
    moderation,
    plan,
    preview,
    publishing,
    replies,
    report,
    report_media,
    review,
)


def get_routers() -> list[Router]:
    # The fallback goes last: it answers whatever no feature router took. Moderation comes
    # before review, whose button handler takes every DeskCB action left.
    return [
        common.router,
        invite.router,
        report.router,  # /report's questions and summary, its attachments, then the rest
        report_media.router,
        report.rest,
        announce.router,
        plan.router,
        control.router,
        replies.router,
        moderation.router,
        publishing.router,
        formats.router,
        preview.router,
        corrections.router,
        review.router,
        lists.router,
        admin.router,
        access.router,
        accounts.router,
        fallback.router,
    ]


def detach_routers(routers: list[Router]) -> None:
    """Let a later Dispatcher in the same process (a restart, the next test) include them again.

    aiogram attaches a router to one parent for life and offers no public way back."""
    for router in routers:
        router._parent_router = None


USED_METHODS = (
    methods.GetUpdates,
    methods.GetMe,
    methods.SendMessage,
    methods.SendMediaGroup,
    methods.EditMessageText,
    methods.EditMessageCaption,
    methods.AnswerCallbackQuery,
    methods.GetFile,
    methods.SetMyCommands,
    methods.GetChatMember,
    methods.GetChatAdministrators,
    methods.SendChatAction,
    methods.SendDocument,
    methods.DeleteMessage,
    methods.GetChat,
    methods.GetChatMemberCount,
    methods.SendPoll,
    methods.StopPoll,
)


_response_types: list[type] = []


def prepare_response_types() -> None:
    """Build aiogram's Response[...] models once and keep them.

    pydantic caches parametrized generic models only weakly, and they sit in reference cycles,
    so each garbage collection threw them away and the next API answer rebuilt its model: under
    load that was a third of the bot's CPU time. Holding them here keeps them built."""
    if not _response_types:
        _response_types.extend(Response[method.__returning__] for method in USED_METHODS)
