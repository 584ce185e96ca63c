// The sandbox page: people's Telegram chats with the bot, VK reporters' conversations with the
// community, the channel and the VK wall.
// Every action goes to the emulators' control APIs (proxied under /tg/ and /vk/); the bot sees
// it only through its own polling. One SSE stream (/api/events) says what changed.
"use strict";

const S = {
  setup: null,
  current: null, // the open chat: a person's id or the moderation group's id
  actAs: null, // who writes in the moderation group
  chats: {}, // chat id -> {messages, deleted, reply_keyboard}
  vkCurrent: null, // the open VK conversation: the person's VK id
  vk: {}, // VK id -> both sides of their conversation with the community, oldest first
  vkSeen: {}, // VK id -> how many community messages the visitor has looked at
  vkPending: new Map(), // event_id of a pressed callback button -> its key (message and label)
  vkAnswered: new Map(), // event_id -> the bot's answer, if it came before the press returned
  seen: {}, // chat id -> how many bot messages the visitor has looked at
  channel: { posts: [], discussion: { messages: [], deleted: [] } },
  wall: [],
  loading: {},
  dirty: {},
};

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = response.headers.get("content-type")?.includes("json")
    ? await response.json()
    : await response.text();
  if (!response.ok) throw new Error((body && body.error) || `HTTP ${response.status}`);
  return body;
}

const postJSON = (path, body) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function toast(text, alert = false) {
  const box = $("#toast");
  box.textContent = text;
  box.className = alert ? "toast alert" : "toast";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), alert ? 6000 : 3000);
}

// ----- text and time -------------------------------------------------------------------------

function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Links to our own channel or wall scroll to the post on this page instead of leaving it.
function linkify(text) {
  const channel = S.setup.channel.username;
  const wallOwner = S.setup.vk.owner_id;
  return escapeHTML(text || "").replace(/https?:\/\/[^\s<]+[^\s<.,:;!?)»"']/g, (url) => {
    const tg = url.match(new RegExp(`t\\.me/${channel}/(\\d+)`));
    const vk = url.match(new RegExp(`vk\\.com/wall${wallOwner}_(\\d+)`));
    const jump = tg ? `tg:${tg[1]}` : vk ? `vk:${vk[1]}` : "";
    return `<a href="${url}" target="_blank" rel="noopener"${jump ? ` data-jump="${jump}"` : ""}>${url}</a>`;
  });
}

function clock(unix) {
  return new Date(unix * 1000).toLocaleTimeString("ru-RU", {
    hour: "2-digit", minute: "2-digit", timeZone: S.setup.timezone,
  });
}

function dateTime(unix) {
  return new Date(unix * 1000).toLocaleString("ru-RU", {
    day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: S.setup.timezone,
  });
}

const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
function avatar(name, id, cls = "") {
  const initials = name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  return el("div", { class: `avatar ${cls}`, style: `background:${COLORS[Math.abs(id) % COLORS.length]}` }, initials);
}

function personName(id) {
  const person = S.setup.people.find((p) => p.id === id);
  if (person) return person.name;
  if (id === S.setup.citizen.tg_id || id === S.setup.citizen.vk_id) return S.setup.citizen.name;
  const vkPerson = S.setup.vk_people.find((p) => p.vk_id === id);
  if (vkPerson) return vkPerson.name;
  return `Пользователь ${id}`;
}

// ----- one message, as a Telegram bubble ----------------------------------------------------

function photoURL(msg) {
  return `/tg/files/${encodeURIComponent(msg.photo[msg.photo.length - 1].file_id)}`;
}

// Consecutive messages of one media group are one album.
function groupAlbums(messages) {
  const out = [];
  for (const msg of messages) {
    const last = out[out.length - 1];
    if (msg.media_group_id && last && last.media_group_id === msg.media_group_id) last.parts.push(msg);
    else out.push({ ...msg, parts: [msg] });
  }
  return out;
}

function mediaGrid(parts, onOpen) {
  const photos = parts.filter((m) => m.photo);
  const others = parts.filter((m) => !m.photo && (m.video || m.document || m.sticker));
  if (!photos.length && !others.length) return null;
  const grid = el("div", { class: `media n${Math.min(photos.length, 4)}` });
  for (const msg of photos) {
    const img = el("img", { src: photoURL(msg), alt: "фото", loading: "lazy" });
    img.addEventListener("load", onOpen || (() => {}));
    img.addEventListener("click", () => window.open(img.src, "_blank"));
    grid.append(img);
  }
  for (const msg of others) {
    const what = msg.video ? "▶ Видео" : msg.sticker ? "Стикер" : `📄 Файл: ${msg.document.file_name || "без имени"}`;
    const file = msg.video || msg.document;
    grid.append(file
      ? el("a", { class: "file", href: `/tg/files/${encodeURIComponent(file.file_id)}`, target: "_blank" }, what)
      : el("div", { class: "file" }, what));
  }
  return grid;
}

function bubble(item, { viewerId, group, onImage }) {
  const mine = item.from && item.from.id === viewerId;
  const fromBot = item.from && item.from.is_bot;
  const text = item.parts.map((m) => m.text || m.caption || "").find((t) => t) || "";
  const markup = item.parts[item.parts.length - 1].reply_markup;
  const node = el("div", {
    class: `msg ${mine ? "out" : "in"}${fromBot ? " bot" : ""}`,
    "data-mid": item.message_id,
    "data-chat": item.chat.id,
  });
  const box = el("div", { class: "bubble" });
  if (group && !mine) {
    const name = fromBot ? S.setup.bot.name : personName(item.from.id);
    box.append(el("div", { class: "sender", style: `color:${COLORS[Math.abs(item.from.id) % COLORS.length]}` }, name));
  }
  if (item.reply_to_message) {
    const quoted = item.reply_to_message;
    box.append(el("div", { class: "quote" }, (quoted.text || quoted.caption || "фото").slice(0, 80)));
  }
  const media = mediaGrid(item.parts, onImage);
  if (media) box.append(media);
  if (text) box.append(el("div", { class: "text", html: linkify(text) }));
  box.append(el("span", { class: "meta" }, item.edit_date ? "изменено " : "", clock(item.date)));
  if (!text && media) box.classList.add("media-only");
  node.append(box);
  if (markup && markup.inline_keyboard) node.append(inlineKeyboard(item, markup.inline_keyboard));
  return node;
}

function inlineKeyboard(item, rows) {
  const kb = el("div", { class: "ikb" });
  for (const row of rows) {
    const line = el("div", { class: "row" });
    for (const button of row) {
      if (button.url) {
        line.append(el("a", { class: "ikb-button link", href: button.url, target: "_blank", rel: "noopener" }, button.text, " ↗"));
      } else {
        line.append(el("button", {
          type: "button", class: "ikb-button",
          onclick: (event) => press(event.currentTarget, item, button.callback_data),
        }, button.text));
      }
    }
    kb.append(line);
  }
  return kb;
}

async function press(button, item, data) {
  button.classList.add("pending");
  try {
    const { callback_query_id: id } = await postJSON(`/tg/users/${viewerId()}/press`, {
      chat_id: item.chat.id, message_id: item.message_id, callback_data: data,
    });
    // The bot answers the button on its own schedule; show its answer like Telegram does.
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const answer = await api(`/tg/callback_answers/${id}`);
      if (answer) {
        if (answer.text) toast(answer.text, answer.show_alert);
        break;
      }
    }
  } catch (err) {
    toast(`Не получилось: ${err.message}`, true);
  } finally {
    button.classList.remove("pending");
  }
}

// ----- staff chats ---------------------------------------------------------------------------

const isGroup = (chatId) => chatId === S.setup.moderation_chat.id;
const viewerId = () => (isGroup(S.current) ? S.actAs : S.current);

function botCount(chatId) {
  const chat = S.chats[chatId];
  return chat ? chat.messages.filter((m) => m.from && m.from.is_bot).length : 0;
}

async function loadChat(chatId) {
  S.chats[chatId] = await api(`/tg/chats/${chatId}/messages`);
  if (chatId === S.current) {
    S.seen[chatId] = botCount(chatId);
    renderChat();
  }
  renderContacts();
}

function renderContacts() {
  const list = $("#contacts");
  list.replaceChildren();
  const entries = [
    ...S.setup.people.map((p) => ({ id: p.id, name: p.name, about: p.about })),
    ...S.setup.vk_people.map((p) => ({ id: p.vk_id, name: p.name, about: p.about, vk: true })),
    { id: S.setup.moderation_chat.id, name: S.setup.moderation_chat.title, about: "группа: бот и редакторы", group: true },
  ];
  for (const entry of entries) {
    if (entry.vk) {
      list.append(vkContact(entry));
      continue;
    }
    const chat = S.chats[entry.id];
    const last = chat && chat.messages[chat.messages.length - 1];
    const unread = botCount(entry.id) - (S.seen[entry.id] || 0);
    const preview = last ? (last.text || last.caption || (last.photo ? "Фото" : "")).split("\n")[0] : "";
    list.append(el("li", {
      class: `contact${entry.id === S.current ? " active" : ""}`,
      "data-chat": entry.id,
      onclick: () => openChat(entry.id),
    },
    avatar(entry.name, entry.id, entry.group ? "group" : ""),
    el("div", { class: "who" },
      el("div", { class: "name" }, entry.name),
      el("div", { class: "about" }, entry.about),
      el("div", { class: "preview" }, preview || "нет сообщений")),
    unread > 0 && entry.id !== S.current ? el("span", { class: "badge" }, unread) : null));
  }
}

function openChat(chatId) {
  S.current = chatId;
  S.vkCurrent = null;
  $("#vk-toast").hidden = true;
  $("#chat").hidden = false;
  $("#vkchat").hidden = true;
  S.seen[chatId] = botCount(chatId);
  const group = isGroup(chatId);
  $("#chat-title").textContent = group ? S.setup.moderation_chat.title : S.setup.bot.name;
  $("#chat-sub").textContent = group
    ? "группа · комментарии на проверке"
    : `бот · так видит чат ${personName(chatId)}`;
  $("#act-as-wrap").hidden = !group;
  $("#chat").dataset.viewer = chatId;
  renderContacts();
  renderChat(true);
  if (!S.chats[chatId]) loadChat(chatId);
  $("#chat-input").focus();
}

function renderChat(jump = false) {
  const box = $("#messages");
  const chat = S.chats[S.current] || { messages: [], reply_keyboard: null };
  const atBottom = jump || box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const group = isGroup(S.current);
  const stick = () => { if (atBottom) box.scrollTop = box.scrollHeight; };
  box.replaceChildren();
  if (!chat.messages.length) {
    box.append(el("div", { class: "empty" }, group
      ? "Пока пусто. Когда житель напишет грубый комментарий, бот пришлёт сюда карточку с кнопками."
      : "Чат с ботом пресс-службы ещё пуст. Нажмите «Начать» — как в Telegram."));
  }
  let day = "";
  for (const item of groupAlbums(chat.messages)) {
    const d = new Date(item.date * 1000).toLocaleDateString("ru-RU", { day: "numeric", month: "long", timeZone: S.setup.timezone });
    if (d !== day) box.append(el("div", { class: "day" }, el("span", {}, (day = d))));
    box.append(bubble(item, { viewerId: viewerId(), group, onImage: stick }));
  }
  stick();
  $("#start-bar").hidden = group || chat.messages.length > 0;
  $("#composer").hidden = !group && chat.messages.length === 0;
  const rkb = $("#rkb");
  rkb.replaceChildren();
  const keyboard = !group && chat.reply_keyboard && chat.reply_keyboard.keyboard;
  if (keyboard) {
    for (const row of keyboard) {
      rkb.append(el("div", { class: "row" }, row.map((b) => el("button", {
        type: "button", onclick: () => sendText(b.text || b),
      }, b.text || b))));
    }
  }
}

async function sendText(text) {
  const chatId = S.current;
  try {
    await postJSON(`/tg/users/${viewerId()}/text`, { chat_id: chatId, text });
  } catch (err) {
    toast(`Не отправлено: ${err.message}`, true);
  }
}

// What Telegram makes of a picked file: a picture goes as a photo, a video as a video, anything
// else as a file (as when a person picks «Файл»). The bot decides what it really is by its bytes.
const fileKind = (file) => file.type.startsWith("image/") ? "photo" : file.type.startsWith("video/") ? "video" : "document";

async function sendPhotos(files) {
  const picked = [...files].slice(0, 10);
  const photos = picked.filter((f) => fileKind(f) === "photo");
  const caption = $("#chat-input").value.trim();
  try {
    if (photos.length) {
      const form = new FormData();
      photos.forEach((file, i) => form.append(`photo${i}`, file, file.name));
      form.append("chat_id", String(S.current));
      if (caption) form.append("caption", caption);
      await api(`/tg/users/${viewerId()}/photo`, { method: "POST", body: form });
    }
    for (const file of picked.filter((f) => fileKind(f) !== "photo")) {
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("kind", fileKind(file));
      form.append("chat_id", String(S.current));
      await api(`/tg/users/${viewerId()}/file`, { method: "POST", body: form });
    }
    $("#chat-input").value = "";
  } catch (err) {
    toast(`Файл не отправлен: ${err.message}`, true);
  }
}

// ----- the Telegram channel with its discussion ----------------------------------------------

async function loadChannel() {
  const [posts, discussion] = await Promise.all([
    api(`/tg/chats/${S.setup.channel.id}/messages`),
    api(`/tg/chats/${S.setup.channel.discussion_id}/messages`),
  ]);
  S.channel = { posts: posts.messages, discussion };
  renderChannel();
}

function threadOf(post) {
  const ids = new Set(post.parts.map((m) => m.message_id));
  const d = S.channel.discussion;
  const root = d.messages.find(
    (m) => m.is_automatic_forward && m.forward_origin && ids.has(m.forward_origin.message_id),
  );
  if (!root) return { root: null, comments: [] };
  const inThread = (m) => m.message_id !== root.message_id && !m.is_automatic_forward
    && (m.message_thread_id === root.message_id || (m.reply_to_message && m.reply_to_message.message_id === root.message_id));
  const comments = [
    ...d.messages.filter(inThread).map((m) => ({ ...m, removed: false })),
    ...d.deleted.filter(inThread).map((m) => ({ ...m, removed: true })),
  ].sort((a, b) => a.message_id - b.message_id);
  return { root, comments };
}

// Posts are kept by key so a half-typed comment survives the page's updates.
const feedNodes = { tg: new Map(), vk: new Map(), ok: new Map(), max: new Map() };

function feedPost(kind, key, build) {
  let node = feedNodes[kind].get(key);
  if (!node) {
    node = build();
    feedNodes[kind].set(key, node);
  }
  return node;
}

function commentForm(placeholder, onSend) {
  const input = el("input", { type: "text", placeholder, "aria-label": placeholder });
  const form = el("form", { class: "comment-form", autocomplete: "off" },
    avatar(S.setup.citizen.name, S.setup.citizen.tg_id, "small"), input,
    el("button", { type: "submit" }, "Отправить"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.disabled = true;
    try {
      await onSend(text);
      input.value = "";
    } catch (err) {
      toast(`Комментарий не отправлен: ${err.message}`, true);
    } finally {
      input.disabled = false;
    }
  });
  return form;
}

const BUBBLE_ICON = '<svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" opacity=".85"/></svg>';

function commentsHead(count) {
  return el("div", { class: "comments-head", html: BUBBLE_ICON },
    count ? `Комментарии: ${count}` : "Комментариев пока нет");
}

function commentNode(name, id, text, unix, removed, mid) {
  if (removed) {
    return el("div", { class: "comment removed", "data-mid": mid }, "Комментарий удалён пресс-службой");
  }
  return el("div", { class: "comment", "data-mid": mid },
    avatar(name, id, "small"),
    el("div", { class: "comment-body" },
      el("div", { class: "comment-author" }, name, el("span", { class: "when" }, clock(unix))),
      el("div", { class: "comment-text" }, text)));
}

function renderChannel() {
  const feed = $("#channel-feed");
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 80;
  const posts = groupAlbums(S.channel.posts);
  const nodes = [];
  for (const post of posts) {
    const node = feedPost("tg", post.message_id, () => {
      const n = el("article", { class: "post", "data-mid": post.message_id });
      n.append(el("div", { class: "post-body" }), el("div", { class: "comments" }));
      n.append(commentForm("Комментарий жителя…", (text) => {
        const { root } = threadOf(posts.find((p) => p.message_id === post.message_id) || post);
        if (!root) throw new Error("обсуждение ещё не готово");
        return postJSON(`/tg/users/${S.setup.citizen.tg_id}/text`, {
          chat_id: S.setup.channel.discussion_id, text, reply_to_message_id: root.message_id,
        });
      }));
      return n;
    });
    const text = post.parts.map((m) => m.text || m.caption || "").find((t) => t) || "";
    const body = node.querySelector(".post-body");
    const poll = post.parts.find((m) => m.poll);
    body.replaceChildren(
      el("div", { class: "post-head" }, el("b", {}, S.setup.channel.title)),
      mediaGrid(post.parts) || "",
      el("div", { class: "text", html: linkify(text) }),
      poll ? pollBox(polls.telegram(poll.poll), async (option) => {
        await postJSON(`/tg/chats/${S.setup.channel.id}/messages/${poll.message_id}/vote`, { option });
        await loadChannel();
      }) : "",
      el("div", { class: "meta" }, post.edit_date ? "изменено · " : "", dateTime(post.date)),
    );
    const { comments } = threadOf(post);
    const live = comments.filter((c) => !c.removed).length;
    node.querySelector(".comments").replaceChildren(
      commentsHead(live),
      ...comments.map((c) => commentNode(personName(c.from?.id), c.from?.id || 0, c.text || c.caption || "", c.date, c.removed, c.message_id)),
    );
    nodes.push(node);
  }
  if (!nodes.length) {
    nodes.push(el("div", { class: "empty" }, "В канале пока нет публикаций. Они появятся здесь, когда редактор одобрит черновик."));
  }
  feed.replaceChildren(...nodes);
  if (atBottom) feed.scrollTop = feed.scrollHeight;
}

// ----- the VK wall ---------------------------------------------------------------------------

async function loadWall() {
  const wall = await api(`/vk/walls/${S.setup.vk.owner_id}`);
  S.wall = wall.posts;
  renderWall();
}

function renderWall() {
  const feed = $("#vk-feed");
  const owner = S.setup.vk.owner_id;
  const nodes = [];
  for (const post of [...S.wall].sort((a, b) => b.id - a.id)) {
    const node = feedPost("vk", post.id, () => {
      const n = el("article", { class: "post", "data-post": post.id });
      n.append(el("div", { class: "post-body" }), el("div", { class: "comments" }));
      n.append(commentForm("Комментарий жителя…", (text) =>
        postJSON(`/vk/walls/${owner}/${post.id}/comments`, { from_id: S.setup.citizen.vk_id, text })));
      return n;
    });
    const photos = (post.attachments || []).filter((a) => a.type === "photo").map((a) => a.photo);
    const grid = photos.length || vkFiles(post).length ? el("div", { class: `media n${Math.min(photos.length, 4)}` },
      photos.map((p) => el("img", { src: `/vk/photos/${p.owner_id}_${p.id}`, alt: "фото", loading: "lazy" })),
      vkFiles(post)) : "";
    node.querySelector(".post-body").replaceChildren(
      el("div", { class: "post-head" }, avatar(S.setup.vk.title, 3, "small"),
        el("div", {}, el("b", {}, S.setup.vk.title), el("div", { class: "meta" }, dateTime(post.date)))),
      el("div", { class: "text", html: linkify(post.text || "") }),
      grid,
      ...(post.attachments || []).filter((a) => a.type === "poll").map((a) => pollBox(polls.vk(a.poll), async (option) => {
        await postJSON(`/vk/polls/${a.poll.owner_id}/${a.poll.id}/vote`, { option });
        await loadWall();
      })),
    );
    const comments = post.comments_list || [];
    const live = comments.filter((c) => !c.deleted).length;
    node.querySelector(".comments").replaceChildren(
      commentsHead(live),
      ...comments.map((c) => commentNode(
        c.from_id < 0 ? S.setup.vk.title : personName(c.from_id), c.from_id, c.text, c.date, c.deleted, c.id)),
    );
    nodes.push(node);
  }
  if (!nodes.length) {
    nodes.push(el("div", { class: "empty" }, "На стене пока нет записей. Одобренные публикации выйдут и здесь."));
  }
  feed.replaceChildren(...nodes);
}

// ----- VK: a person's conversation with the community, as their VK app shows it -----------------

const vkGroup = () => S.setup.vk.group_id;

function parseJSON(raw) {
  if (raw === null || raw === undefined || raw === "") return null;
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function vkCount(peer) {
  return (S.vk[peer] || []).filter((m) => m.out).length;
}

function vkContact(entry) {
  const messages = S.vk[entry.id] || [];
  const last = messages[messages.length - 1];
  const photo = last && (last.attachments || []).some((a) => a.type === "photo");
  const preview = last ? ((last.text || "").split("\n")[0] || (photo ? "Фотография" : "")) : "";
  const unread = vkCount(entry.id) - (S.vkSeen[entry.id] || 0);
  const active = entry.id === S.vkCurrent;
  const face = avatar(entry.name, entry.id);
  face.append(el("span", { class: "net-badge", title: "ВКонтакте" }, "VK"));
  return el("li", {
    class: `contact vk${active ? " active" : ""}`,
    "data-chat": `vk${entry.id}`,
    "data-network": "vk",
    onclick: () => openVk(entry.id),
  },
  face,
  el("div", { class: "who" },
    el("div", { class: "name" }, entry.name),
    el("div", { class: "about" }, el("span", { class: "net-mark" }, "ВКонтакте"), entry.about),
    el("div", { class: "preview" }, preview || "нет сообщений")),
  unread > 0 && !active ? el("span", { class: "badge vk" }, unread) : null);
}

function openVk(peer) {
  S.current = null;
  S.vkCurrent = peer;
  $("#vk-toast").hidden = true;
  S.vkSeen[peer] = vkCount(peer);
  $("#chat").hidden = true;
  $("#vkchat").hidden = false;
  $("#vkchat").dataset.viewer = peer;
  $("#vk-chat-title").textContent = S.setup.vk.title;
  $("#vk-chat-sub").textContent = `сообщество · так видит диалог ${personName(peer)}`;
  renderContacts();
  renderVk(true);
  if (!S.vk[peer]) refresh(`vk:${peer}`);
  $("#vk-input").focus();
}

async function loadVk(peer) {
  const { messages } = await api(`/vk/messages/${peer}?both=1`);
  S.vk[peer] = messages;
  if (peer === S.vkCurrent) {
    S.vkSeen[peer] = vkCount(peer);
    renderVk();
  }
  renderContacts();
}

// A VK post's or message's videos and documents, each a link to its file.
function vkFiles(item) {
  return (item.attachments || []).filter((a) => a.type === "video" || a.type === "doc").map((a) =>
    a.type === "video"
      ? el("a", { class: "file", href: `/vk/videos/${a.video.owner_id}_${a.video.id}`, target: "_blank" }, `▶ Видео: ${a.video.title || ""}`)
      : el("a", { class: "file", href: `/vk/docs/${a.doc.owner_id}_${a.doc.id}`, target: "_blank" }, `📄 ${a.doc.title}`));
}

function vkPhotos(msg, onLoad) {
  const photos = (msg.attachments || []).filter((a) => a.type === "photo").map((a) => a.photo);
  const files = vkFiles(msg);
  if (!photos.length && !files.length) return null;
  return el("div", { class: `vk-media n${Math.min(photos.length, 4)}` }, photos.map((p) => {
    const img = el("img", { src: `/vk/photos/${p.owner_id}_${p.id}`, alt: "фотография", loading: "lazy" });
    img.addEventListener("load", onLoad);
    img.addEventListener("click", () => window.open(img.src, "_blank"));
    return img;
  }), files);
}

const buttonKey = (msg, action) => `${msg.conversation_message_id}:${action.label}`;

function vkButton(msg, button, cls) {
  const action = button.action || {};
  const pending = [...S.vkPending.values()].includes(buttonKey(msg, action));
  if (action.type === "open_link") {
    return el("a", { class: `${cls} ${button.color || "secondary"}`, href: action.link, target: "_blank", rel: "noopener" }, action.label, " ↗");
  }
  return el("button", {
    type: "button",
    class: `${cls} ${button.color || "secondary"}${pending ? " pending" : ""}`,
    "data-type": action.type,
    onclick: () => vkPress(msg, action),
  }, action.label || "Кнопка");
}

function vkBubble(msg, { tail, onLoad }) {
  const fromCommunity = Boolean(msg.out);
  const node = el("div", {
    class: `vmsg ${fromCommunity ? "in bot" : "out"}${tail ? " tail" : ""}`,
    "data-cmid": msg.conversation_message_id,
  });
  const box = el("div", { class: "vbubble" });
  const media = vkPhotos(msg, onLoad);
  if (media) box.append(media);
  if (msg.text) box.append(el("div", { class: "text", html: linkify(msg.text) }));
  box.append(el("span", { class: "meta" }, msg.update_time ? "ред. " : "", clock(msg.date)));
  if (media && !msg.text) box.classList.add("media-only");
  const keyboard = parseJSON(msg.keyboard);
  if (keyboard && keyboard.inline && keyboard.buttons.length) {
    box.append(el("div", { class: "vk-ikb" }, keyboard.buttons.map((row) =>
      el("div", { class: "row" }, row.map((b) => vkButton(msg, b, "vk-button"))))));
  }
  if (fromCommunity) {
    const face = tail ? el("div", { class: "avatar vk-avatar tiny" }, "А") : el("div", { class: "avatar-gap" });
    node.append(face);
  }
  node.append(box);
  return node;
}

// The keyboard under the input field: the newest one the community sent stays until replaced.
function vkMenu(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const msg = messages[i];
    const keyboard = msg.out ? parseJSON(msg.keyboard) : null;
    if (!keyboard || keyboard.inline) continue;
    const answered = messages.slice(i + 1).some((m) => !m.out);
    return keyboard.one_time && answered ? null : { msg, keyboard };
  }
  return null;
}

function renderVk(jump = false) {
  const peer = S.vkCurrent;
  if (peer === null) return;
  const box = $("#vk-messages");
  const messages = S.vk[peer] || [];
  const atBottom = jump || box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const stick = () => { if (atBottom) box.scrollTop = box.scrollHeight; };
  box.replaceChildren();
  if (!messages.length) {
    box.append(el("div", { class: "empty" },
      el("div", { class: "avatar vk-avatar big" }, "А"),
      el("b", {}, S.setup.vk.title),
      el("div", {}, "Сообщество отвечает с помощью бота пресс-службы. Нажмите «Начать», чтобы написать ему.")));
  }
  let day = "";
  messages.forEach((msg, i) => {
    const d = new Date(msg.date * 1000).toLocaleDateString("ru-RU", { day: "numeric", month: "long", timeZone: S.setup.timezone });
    if (d !== day) box.append(el("div", { class: "day" }, (day = d)));
    const next = messages[i + 1];
    const tail = !next || Boolean(next.out) !== Boolean(msg.out);
    box.append(vkBubble(msg, { tail, onLoad: stick }));
  });
  stick();
  $("#vk-start").hidden = messages.length > 0;
  $("#vk-composer").hidden = messages.length === 0;
  const kb = $("#vk-kb");
  kb.replaceChildren();
  const menu = vkMenu(messages);
  if (menu) {
    for (const row of menu.keyboard.buttons) {
      kb.append(el("div", { class: "row" }, row.map((b) => vkButton(menu.msg, b, "vk-kb-button"))));
    }
  }
}

function vkSnackbar(text) {
  const box = $("#vk-toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(vkSnackbar.timer);
  vkSnackbar.timer = setTimeout(() => (box.hidden = true), 3000);
}

async function vkSend(text, payload) {
  const body = { from_id: S.vkCurrent, text };
  if (payload) body.payload = payload;
  try {
    await postJSON(`/vk/messages/${vkGroup()}`, body);
  } catch (err) {
    vkSnackbar(`Сообщение не отправлено: ${err.message}`);
  }
}

async function vkSendPhotos(files) {
  const form = new FormData();
  form.append("from_id", String(S.vkCurrent));
  form.append("text", $("#vk-input").value.trim());
  // a picture as a photo, a video as a VK video, anything else as «Файл» (a document)
  const part = { photo: "photo", video: "video", document: "doc" };
  [...files].slice(0, 10).forEach((file) => form.append(part[fileKind(file)], file, file.name));
  try {
    await api(`/vk/messages/${vkGroup()}`, { method: "POST", body: form });
    $("#vk-input").value = "";
  } catch (err) {
    vkSnackbar(`Файл не отправлен: ${err.message}`);
  }
}

// A text button sends its label as the person's message, with the button's payload; a callback
// button sends message_event and spins until the bot answers it (sendMessageEventAnswer).
async function vkPress(msg, action) {
  const payload = parseJSON(action.payload) || {};
  if (action.type !== "callback") return vkSend(action.label, payload);
  const key = buttonKey(msg, action);
  let eventId = null;
  try {
    const event = await postJSON(`/vk/messages/${vkGroup()}/press`, {
      user_id: S.vkCurrent, payload, conversation_message_id: msg.conversation_message_id,
    });
    eventId = event.event_id;
  } catch (err) {
    vkSnackbar(`Не получилось: ${err.message}`);
    return;
  }
  if (S.vkAnswered.has(eventId)) return vkAnswer(eventId, S.vkAnswered.get(eventId));
  S.vkPending.set(eventId, key);
  renderVk();
  setTimeout(() => { if (S.vkPending.delete(eventId)) renderVk(); }, 10000); // VK gives up too
}

function vkAnswer(eventId, eventData) {
  S.vkAnswered.delete(eventId);
  const data = parseJSON(eventData);
  if (data && data.type === "show_snackbar" && data.text) vkSnackbar(data.text);
  if (data && data.type === "open_link" && data.link) window.open(data.link, "_blank");
  if (S.vkPending.delete(eventId)) renderVk();
}

function onVkChange(change) {
  if (change.kind === "event_answer") {
    if (S.vkPending.has(change.event_id)) vkAnswer(change.event_id, change.event_data);
    else if (change.user_id === S.vkCurrent) S.vkAnswered.set(change.event_id, change.event_data);
    return;
  }
  if (change.peer_id !== undefined) {
    if (S.setup.vk_people.some((p) => p.vk_id === change.peer_id)) refresh(`vk:${change.peer_id}`);
    return;
  }
  refresh("wall");
}

function setupVk() {
  $("#vk-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#vk-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    vkSend(text);
  });
  $("#vk-file").addEventListener("change", (event) => {
    if (event.target.files.length) vkSendPhotos(event.target.files);
    event.target.value = "";
  });
  // VK's own first button in an empty conversation with a community that has a bot.
  $("#vk-start-button").addEventListener("click", () => vkSend("Начать", { command: "start" }));
}

// ----- live updates --------------------------------------------------------------------------

const LOADERS = { channel: loadChannel, wall: loadWall, ok: loadOk, max: loadMax }; // networks.js

// Coalesces bursts of events; a change during a load triggers one more load.
async function refresh(what) {
  if (S.loading[what]) {
    S.dirty[what] = true;
    return;
  }
  S.loading[what] = true;
  try {
    do {
      S.dirty[what] = false;
      if (LOADERS[what]) await LOADERS[what]();
      else if (what.startsWith("vk:")) await loadVk(Number(what.slice(3)));
      else await loadChat(Number(what));
    } while (S.dirty[what]);
  } catch (err) {
    console.warn("refresh failed", what, err);
  } finally {
    S.loading[what] = false;
  }
}

function staffChatIds() {
  return [...S.setup.people.map((p) => p.id), S.setup.moderation_chat.id];
}

function refreshAll() {
  staffChatIds().forEach((id) => refresh(String(id)));
  S.setup.vk_people.forEach((p) => refresh(`vk:${p.vk_id}`));
  refresh("channel");
  refresh("wall");
  window.onGraphChange?.({});
  refresh("ok");
  refresh("max");
}

function connect() {
  const source = new EventSource("/api/events");
  const live = $("#live");
  source.onopen = () => {
    live.textContent = "в эфире";
    live.className = "live on";
    document.body.dataset.live = "1";
    refreshAll();
  };
  source.onerror = () => {
    live.textContent = "нет связи…";
    live.className = "live off";
    document.body.dataset.live = "0";
  };
  source.onmessage = (event) => {
    const change = JSON.parse(event.data);
    if (change.src === "vk") return onVkChange(change);
    if (change.src === "graph") return window.onGraphChange?.(change); // meta.js
    if (change.src === "ok" || change.src === "max") return refresh(change.src);
    const chatId = change.chat_id;
    if (chatId === S.setup.channel.id || chatId === S.setup.channel.discussion_id) refresh("channel");
    else if (staffChatIds().includes(chatId)) refresh(String(chatId));
  };
}

function jumpTo(ref) {
  const [kind, id] = ref.split(":");
  let node = feedNodes.vk.get(Number(id));
  if (kind === "tg") {
    // An album is keyed by its first message; the link may name any of them.
    const keys = [...feedNodes.tg.keys()].filter((k) => k <= Number(id) && feedNodes.tg.get(k).isConnected);
    node = keys.length ? feedNodes.tg.get(Math.max(...keys)) : null;
  }
  if (!node) return false;
  node.scrollIntoView({ behavior: "smooth", block: "center" });
  node.classList.remove("flash");
  void node.offsetWidth; // restarts the highlight animation
  node.classList.add("flash");
  return true;
}

// The page answers before the bot has started; wait for the demo world.
async function waitForSetup() {
  for (;;) {
    const response = await fetch("/api/setup").catch(() => null);
    if (response && response.ok) return response.json();
    await new Promise((r) => setTimeout(r, 300));
  }
}

// The composers are text areas: Enter sends, Shift+Enter breaks the line, and the field grows
// with what is typed (up to a few lines), as in the messengers' own apps.
function composer(input, form) {
  const grow = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  };
  input.addEventListener("input", grow);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    form.requestSubmit();
  });
  form.addEventListener("submit", () => setTimeout(grow));
}

// The editors' morning digest on demand (it also goes out every day at [moderation] digest_time).
function setupDigest() {
  const button = $("#digest-now");
  button.title = `По расписанию сводка приходит редакторам каждый день в ${S.setup.digest_time}`;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const answer = await postJSON("/api/digest", {});
      toast(answer.sent
        ? `Сводка отправлена редакторам: ${answer.sent}. Откройте чат Анны или Марии.`
        : "Сводку некому отправить: нет редакторов.");
    } catch (err) {
      toast(`Сводка не отправлена: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
}

// The board takes the screen under the banner, whatever the banner's height on this screen.
function fitBoard() {
  const set = () => document.documentElement.style.setProperty("--banner-h", `${$(".banner").offsetHeight}px`);
  set();
  window.addEventListener("resize", set);
}

async function main() {
  fitBoard();
  S.setup = await waitForSetup();
  $("#starting").hidden = true;
  $("#channel-title").textContent = S.setup.channel.title;
  $("#channel-username").textContent = `@${S.setup.channel.username}`;
  $("#vk-title").textContent = S.setup.vk.title;
  $("#ok-title").textContent = S.setup.ok.title;
  $("#max-title").textContent = S.setup.max.title;
  const select = $("#act-as");
  for (const p of S.setup.people.filter((p) => p.role !== "reporter")) {
    select.append(el("option", { value: p.id }, p.name));
  }
  S.actAs = Number(select.value);
  select.addEventListener("change", () => { S.actAs = Number(select.value); renderChat(); });
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#chat-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendText(text);
  });
  $("#chat-file").addEventListener("change", (event) => {
    if (event.target.files.length) sendPhotos(event.target.files);
    event.target.value = "";
  });
  $("#start-button").addEventListener("click", () => sendText("/start"));
  composer($("#chat-input"), $("#composer"));
  composer($("#vk-input"), $("#vk-composer"));
  setupDigest();
  setupPower();
  setupVk();
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-jump]");
    if (link && jumpTo(link.dataset.jump)) event.preventDefault();
  });
  openChat(S.setup.people[0].id);
  window.setupMeta?.(); // Facebook and Instagram panels, when switched on (meta.js)
  connect();
}

main().catch((err) => toast(`Страница не загрузилась: ${err.message}`, true));
