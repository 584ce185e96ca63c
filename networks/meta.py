"""Wiring of the Facebook Page and the Instagram account, both off unless config says so.

Meta Platforms is designated an extremist organisation in Russia (2022): the office switches
these networks on itself ([facebook] / [instagram] enabled = true) only where it may keep them.
"""

from __future__ import annotations

from bot.config import Config, Secrets
from bot.domain import Network
from bot.media import MediaStore
from bot.ports import CommentModerator, Publisher
from networks.facebook import FacebookPage
from networks.facebook_comments import FacebookComments
from networks.graph import GraphClient
from networks.instagram import InstagramAccount
from networks.instagram_comments import InstagramComments
from networks.public_media import MediaLinks, MediaServer


class MetaNetworks:
    def __init__(self, config: Config, secrets: Secrets, media: MediaStore) -> None:
        self._config = config
        fb, ig, public = config.facebook, config.instagram, config.public_media
        app_secret = _value(secrets.meta_app_secret)
        page_token = _value(secrets.facebook)
        self.links = MediaLinks(
            public.base_url, _value(secrets.media_link_secret), public.link_ttl_minutes * 60
        )
        self.server: MediaServer | None = None
        self.facebook: FacebookPage | None = None
        self.instagram: InstagramAccount | None = None
        self._moderators: dict[Network, CommentModerator] = {}
        moderate = config.moderation.enabled
        max_posts = config.moderation.catchup_max_posts
        if fb.enabled and page_token and fb.page_id:
            graph = GraphClient(
                fb.api_base_url,
                page_token,
                app_secret,
                fb.request_timeout,
                fb.requests_per_second,
                network="facebook",
            )
            self.facebook = FacebookPage(graph, fb.page_id)
            if moderate:
                self._moderators[Network.facebook] = FacebookComments(
                    graph, fb.page_id, fb.comments_every_minutes, fb.comments_days, max_posts
                )
        ig_token = _value(secrets.instagram) or page_token
        if ig.enabled and ig_token and ig.user_id:
            graph = GraphClient(
                ig.api_base_url,
                ig_token,
                app_secret,
                ig.request_timeout,
                ig.requests_per_second,
                network="instagram",
            )
            self.instagram = InstagramAccount(
                graph,
                ig.user_id,
                self.links,
                ig.container_poll_seconds,
                ig.container_wait_seconds,
            )
            self.server = MediaServer(self.links, media.path_for)
            if moderate:
                self._moderators[Network.instagram] = InstagramComments(
                    graph, ig.user_id, ig.comments_every_minutes, ig.comments_days, max_posts
                )

    def publishers(self) -> dict[Network, Publisher]:
        found: dict[Network, Publisher] = {}
        for publisher in (self.facebook, self.instagram):
            if publisher is not None:
                found[publisher.network] = publisher
        return found

    def moderators(self) -> dict[Network, CommentModerator]:
        return dict(self._moderators)

    async def start(self) -> None:
        """The public media server, when Instagram needs it."""
        if self.server is not None:
            public = self._config.public_media
            await self.server.start(public.host, public.port)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()


def _value(secret: object) -> str:
    return secret.get_secret_value() if secret is not None else ""  # type: ignore[attr-defined]
