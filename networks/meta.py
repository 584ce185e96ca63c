"""Connectors of the Facebook Page and the Instagram account (networks/registry.py), both off
unless config says so.

Meta Platforms is designated an extremist organisation in Russia (2022): the office switches
these networks on itself ([facebook] / [instagram] enabled = true) only where it may keep them.
"""

from __future__ import annotations

from bot.config import Config, Secrets
from bot.domain import Network
from bot.media import MediaStore
from networks.facebook import FacebookPage
from networks.facebook_comments import FacebookComments
from networks.graph import GraphClient
from networks.instagram import InstagramAccount
from networks.instagram_comments import InstagramComments
from networks.meta_access import GraphAccess
from networks.public_media import MediaLinks, MediaServer
from networks.registry import Connection, PublishedRefs


def facebook(config: Config, secrets: Secrets, published: PublishedRefs) -> Connection | None:
    fb, token = config.facebook, _value(secrets.facebook)
    if not (fb.enabled and token and fb.page_id):
        return None
    graph = GraphClient(
        fb.api_base_url,
        token,
        _value(secrets.meta_app_secret),
        fb.request_timeout,
        fb.requests_per_second,
        network="facebook",
    )
    moderator = None
    if config.moderation.enabled:
        moderator = FacebookComments(
            graph,
            fb.page_id,
            fb.comments_every_minutes,
            fb.comments_days,
            config.moderation.catchup_max_posts,
        )
    access = GraphAccess(Network.facebook, graph, token, fb.page_id, config.moderation.enabled)
    return Connection(Network.facebook, FacebookPage(graph, fb.page_id), moderator, access=access)


def instagram(config: Config, secrets: Secrets, published: PublishedRefs) -> Connection | None:
    ig, public = config.instagram, config.public_media
    token = _value(secrets.instagram) or _value(secrets.facebook)
    if not (ig.enabled and token and ig.user_id):
        return None
    graph = GraphClient(
        ig.api_base_url,
        token,
        _value(secrets.meta_app_secret),
        ig.request_timeout,
        ig.requests_per_second,
        network="instagram",
    )
    links = MediaLinks(
        public.base_url, _value(secrets.media_link_secret), public.link_ttl_minutes * 60
    )
    account = InstagramAccount(
        graph,
        ig.user_id,
        links,
        ig.container_poll_seconds,
        ig.container_wait_seconds,
        server=MediaServer(links, MediaStore(config.storage.media_dir).path_for),
        listen=(public.host, public.port),
    )
    moderator = None
    if config.moderation.enabled:
        moderator = InstagramComments(
            graph,
            ig.user_id,
            ig.comments_every_minutes,
            ig.comments_days,
            config.moderation.catchup_max_posts,
        )
    access = GraphAccess(
        Network.instagram,
        graph,
        token,
        ig.user_id,
        config.moderation.enabled,
        follows="" if secrets.instagram else "facebook",  # on the Page's token: swapped with it
    )
    return Connection(Network.instagram, account, moderator, access=access)


def _value(secret: object) -> str:
    return secret.get_secret_value() if secret is not None else ""  # type: ignore[attr-defined]
