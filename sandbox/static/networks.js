// The OK group feed and the MAX channel: what citizens see there, and their comments.
// Loaded before app.js, which calls loadOk/loadMax on the emulators' change events.
"use strict";

async function loadOk() {
  const feed = await api(`/ok/groups/${S.setup.ok.gid}`);
  S.ok = feed.topics;
  S.okChat = (await api(okChatPath())).messages;
  renderOk();
}

// The citizen's chat with the group (OK's group messages): what they write becomes a ticket.
const okChatPath = () => `/ok/groups/${S.setup.ok.gid}/messages/${S.setup.citizen.ok_id}`;

function okChatBox() {
  const node = feedPost("ok", "chat", () => el("article", { class: "post ok-chat", id: "ok-chat" },
    el("div", { class: "post-head" }, el("b", {}, "Сообщения группе")),
    el("div", { class: "ok-msgs" }),
    commentForm("Сообщение группе…", (text) => postJSON(okChatPath(), { text }))));
  node.querySelector(".ok-msgs").replaceChildren(...(S.okChat || []).map((m) => el("div", {
    class: `ok-msg ${m.from_group ? "from-group" : "from-citizen"}`,
  }, el("div", { class: "text" }, m.text), el("div", { class: "meta" }, dateTime(m.timestamp / 1000)))));
  return node;
}

function renderOk() {
  const chat = okChatBox(); // first: feedPost keeps the form (and what is typed) across redraws
  const nodes = [];
  for (const topic of S.ok || []) {
    const node = feedPost("ok", topic.id, () => {
      const n = el("article", { class: "post", "data-topic": topic.id });
      n.append(el("div", { class: "post-body" }), el("div", { class: "comments" }));
      n.append(commentForm("Комментарий жителя…", (text) =>
        postJSON(`/ok/topics/${topic.id}/comments`, { uid: S.setup.citizen.ok_id, text })));
      return n;
    });
    const photos = topic.photos.map((src) => el("img", { src: `/ok${src.replace("/_emu/ok", "")}`, alt: "фото", loading: "lazy" }));
    node.querySelector(".post-body").replaceChildren(
      el("div", { class: "post-head" }, avatar(S.setup.ok.title, 5, "small"),
        el("div", {}, el("b", {}, S.setup.ok.title), el("div", { class: "meta" }, dateTime(topic.created_ms / 1000)))),
      el("div", { class: "text", html: linkify(topic.text || "") }),
      photos.length ? el("div", { class: `media n${Math.min(photos.length, 4)}` }, photos) : "",
      ...(topic.videos || []).map((v) => el("a", { class: "file", href: `/ok${v.src.replace("/_emu/ok", "")}`, target: "_blank" }, `▶ Видео: ${v.title}`)),
      topic.poll ? pollBox(polls.ok(topic.poll), async (option) => {
        await postJSON(`/ok/topics/${topic.id}/vote`, { option });
        await loadOk();
      }) : "",
    );
    const live = topic.comments.filter((c) => !c.deleted).length;
    node.querySelector(".comments").replaceChildren(
      commentsHead(live),
      ...topic.comments.map((c) => commentNode(
        c.author_name || personName(c.author_id), Number(c.author_id.slice(-6)), c.text,
        Date.parse(`${c.date.replace(" ", "T")}Z`) / 1000, c.deleted, c.id)),
    );
    nodes.push(node);
  }
  if (!nodes.length) {
    nodes.push(el("div", { class: "empty" }, "В группе пока нет тем. Одобренные публикации выйдут и здесь."));
  }
  $("#ok-feed").replaceChildren(chat, ...nodes);
}

async function loadMax() {
  const channel = await api(`/max/chats/${S.setup.max.chat_id}`);
  S.max = channel.posts;
  renderMax();
}

function renderMax() {
  const nodes = [];
  for (const post of S.max || []) {
    const node = feedPost("max", post.mid, () => {
      const n = el("article", { class: "post", "data-mid": post.mid });
      n.append(el("div", { class: "post-body" }), el("div", { class: "comments" }));
      n.append(commentForm("Комментарий жителя…", (text) =>
        postJSON(`/max/messages/${post.mid}/comments`, { user_id: S.setup.citizen.max_id, text })));
      return n;
    });
    const photos = post.photos.map((src) => el("img", { src: `/max${src.replace("/_emu/max", "")}`, alt: "вложение", loading: "lazy" }));
    node.querySelector(".post-body").replaceChildren(
      el("div", { class: "post-head" }, el("b", {}, S.setup.max.title)),
      photos.length ? el("div", { class: `media n${Math.min(photos.length, 4)}` }, photos) : "",
      ...(post.files || []).map((f) => el("a", { class: "file", href: `/max${f.src.replace("/_emu/max", "")}`, target: "_blank" },
        f.type === "video" ? `▶ Видео: ${f.name}` : `📄 ${f.name}`)),
      el("div", { class: "text", html: linkify(post.text || "") }),
      el("div", { class: "meta" }, dateTime(post.timestamp / 1000)),
    );
    const live = post.comments.filter((c) => !c.deleted).length;
    node.querySelector(".comments").replaceChildren(
      commentsHead(live),
      ...post.comments.map((c) => commentNode(
        `${c.sender.first_name} ${c.sender.last_name || ""}`.trim(), c.sender.user_id % 1000000,
        c.body.text, c.timestamp / 1000, c.deleted, c.body.mid)),
    );
    nodes.push(node);
  }
  if (!nodes.length) {
    nodes.push(el("div", { class: "empty" }, "В канале MAX пока нет публикаций."));
  }
  $("#max-feed").replaceChildren(...nodes);
}
