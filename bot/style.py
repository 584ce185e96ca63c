"""The house style per network (the information policy, order 2.1): the same signature, hashtags
and link format under every post, as config.toml's [style] says for each network.

The style is not part of a draft's text: it is applied at publication (bot/publishing.py) and
in the preview (bot/preview.py), so an editor who replaces the text never loses it. A hashtag
or the signature the text already carries is not added a second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.cards import PostView
from bot.config import Config
from bot.content import PostContent
from bot.domain import Network

URL = re.compile(r"(?<![\w/\"'(])https?://[^\s<>\"')]*[^\s<>\"').,;:!?]")
HASHTAG = re.compile(r"#[\w@.]+")


@dataclass(frozen=True)
class NetworkStyle:
    hashtags: tuple[str, ...]
    signature: str
    link_format: str

    def tail(self, text: str) -> str:
        """The lines to add under `text`: the hashtags it lacks, then the signature."""
        present = {tag.lower().rstrip(".").split("@", 1)[0] for tag in HASHTAG.findall(text)}
        tags = " ".join(t for t in self.hashtags if t.lower().split("@", 1)[0] not in present)
        signature = self.signature if self.signature and self.signature not in text else ""
        return "\n".join(x for x in (tags, signature) if x)

    def apply(self, text: str) -> str:
        body = text.strip()
        if self.link_format != "{url}":
            body = URL.sub(lambda m: self.link_format.replace("{url}", m[0]), body)
        tail = self.tail(body)
        return "\n\n".join(x for x in (body, tail) if x)


class HouseStyle:
    def __init__(self, config: Config) -> None:
        self._config = config

    def of(self, network: Network | str) -> NetworkStyle:
        style, desk = self._config.style, self._config.desk
        own = getattr(style, Network(network).value)
        hashtags = own.hashtags
        if hashtags is None:
            hashtags = style.hashtags if style.hashtags is not None else desk.hashtags
        signature = own.signature
        if signature is None:
            signature = style.signature if style.signature is not None else desk.signature
        suffix = own.hashtag_suffix
        tags = tuple(
            f"{t}{suffix}" if suffix and "@" not in t else t
            for t in (h.strip() for h in hashtags)
            if t
        )
        return NetworkStyle(tags, signature.strip(), own.link_format or style.link_format)

    def apply(self, network: Network | str, text: str) -> str:
        """`text` as it goes out on `network`."""
        return self.of(network).apply(text)

    def content(self, view: PostView, network: Network | str) -> PostContent:
        """What goes out on `network`: its own text or the post's, in its house style."""
        return replace(view.content, text=self.apply(network, view.text_for(network)))
