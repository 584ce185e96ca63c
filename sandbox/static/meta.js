// The Facebook Page and Instagram panels, shown only when the sandbox's config switches those
// networks on (they are off by default: Meta is designated extremist in Russia). The citizen
// comments through the Graph emulator's control API (/graph/); the bot reads comments through
// Graph like in production. Uses app.js's helpers (el, api, postJSON, avatar, commentsHead…).

const META = { state: null, loading: false, again: false, nodes: new Map() };

function metaSetup() {
  return (S.setup && S.setup.meta) || {};
}

function metaPanel(id, cls, title, sub) {
  return el("section", { class: `panel ${cls}`, id, "aria-label": `${title}: ${sub}` },
    el("div", { class: `panel-head ${cls}-head` },
      el("div", { class: "avatar meta-avatar" }, title.slice(0, 1)),
      el("div", {}, el("div", { class: "panel-title" }, title), el("div", { class: "sub" }, sub))),
    el("div", { class: "feed", id: `${id}-feed` }));
}

window.setupMeta = function setupMeta() {
  const meta = metaSetup();
  const board = document.querySelector("main.board");
  if (meta.facebook) {
    board.append(metaPanel("fb", "fb-page", meta.facebook.title, "Facebook · Страница"));
  }
  if (meta.instagram) {
    board.append(metaPanel("ig", "ig-account", `@${meta.instagram.username}`, "Instagram · бизнес-аккаунт"));
  }
  if (meta.facebook || meta.instagram) board.classList.add("with-meta");
};

window.onGraphChange = async function onGraphChange() {
  const meta = metaSetup();
  if (!meta.facebook && !meta.instagram) return;
  if (META.loading) { META.again = true; return; }
  META.loading = true;
  try {
    do {
      META.again = false;
      META.state = await api("/graph/state");
      renderMeta();
    } while (META.again);
  } catch (err) {
    console.warn("graph refresh failed", err);
  } finally {
    META.loading = false;
  }
};

function metaComment(c) {
  if (c.deleted) return el("div", { class: "comment removed" }, "Комментарий удалён пресс-службой");
  const node = commentNode(c.author, c.author.length, c.text, 0, false, c.id);
  node.querySelector(".when")?.remove();
  if (c.reply) node.classList.add("reply");
  if (c.hidden) {
    node.classList.add("hidden-comment");
    node.querySelector(".comment-author").append(el("span", { class: "when" }, "скрыт — виден только автору"));
  }
  return node;
}

function metaPost(kind, item, parts) {
  let node = META.nodes.get(`${kind}:${item.id}`);
  if (!node) {
    const citizen = metaSetup().citizen;
    node = el("article", { class: "post", "data-post": item.id });
    node.append(el("div", { class: "post-body" }), el("div", { class: "comments" }));
    node.append(commentForm("Комментарий жителя…", (text) => postJSON("/graph/comment", {
      parent_id: item.id,
      author_id: citizen.id,
      author_name: kind === "ig" ? citizen.username : citizen.name,
      text,
    })));
    META.nodes.set(`${kind}:${item.id}`, node);
  }
  node.querySelector(".post-body").replaceChildren(...parts);
  const live = item.comments.filter((c) => !c.deleted).length;
  node.querySelector(".comments").replaceChildren(commentsHead(live), ...item.comments.map(metaComment));
  return node;
}

function metaImages(id, count) {
  if (!count) return "";
  return el("div", { class: `media n${Math.min(count, 4)}` },
    Array.from({ length: count }, (_, i) => el("img", { src: `/graph/media/${id}/${i}`, alt: "фото", loading: "lazy" })));
}

function renderMeta() {
  const meta = metaSetup();
  const page = (META.state.pages || [])[0] || { posts: [], media: [] };
  if (meta.facebook) {
    const posts = [...page.posts].reverse().map((post) => metaPost("fb", post, [
      el("div", { class: "post-head" }, el("b", {}, page.name)),
      el("div", { class: "text", html: linkify(post.message || "") }),
      metaImages(post.id, post.photos),
    ]));
    document.getElementById("fb-feed").replaceChildren(...(posts.length ? posts
      : [el("div", { class: "empty" }, "На Странице пока нет публикаций.")]));
  }
  if (meta.instagram) {
    const media = [...page.media].reverse().map((item) => metaPost("ig", item, [
      metaImages(item.id, item.images),
      el("div", { class: "text" }, el("b", {}, `${meta.instagram.username} `), item.caption || ""),
    ]));
    document.getElementById("ig-feed").replaceChildren(...(media.length ? media
      : [el("div", { class: "empty" }, "В аккаунте пока нет публикаций.")]));
  }
}
