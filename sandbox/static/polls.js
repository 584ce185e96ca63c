// Polls in the sandbox's feeds (Telegram channel, VK wall, OK group): the question, each
// option with its votes, and a tap on an option votes as the sandbox's citizen.
"use strict";

function pollBox(poll, vote) {
  const total = poll.options.reduce((n, o) => n + o.votes, 0);
  const box = el("div", { class: "poll" },
    el("div", { class: "poll-q" }, `📊 ${poll.question}`),
    el("div", { class: "meta" },
      `Опрос · ${poll.multiple ? "несколько ответов" : "один ответ"} · голосов: ${total}`,
      poll.closed ? " · закрыт" : ""));
  for (const [index, option] of poll.options.entries()) {
    const share = total ? Math.round((100 * option.votes) / total) : 0;
    const button = el("button", { type: "button", class: "poll-option", disabled: poll.closed,
      title: poll.closed ? "Опрос закрыт" : "Проголосовать как житель" },
    el("span", {}, option.text), el("span", { class: "when" }, `${option.votes} · ${share}%`));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await vote(index);
      } catch (err) {
        toast(`Голос не принят: ${err.message}`, true);
      } finally {
        button.disabled = poll.closed;
      }
    });
    box.append(button);
  }
  return box;
}

// Each network's poll, in the one shape pollBox draws.
const polls = {
  telegram: (p) => ({ question: p.question, multiple: p.allows_multiple_answers, closed: p.is_closed,
    options: p.options.map((o) => ({ text: o.text, votes: o.voter_count })) }),
  vk: (p) => ({ question: p.question, multiple: p.multiple, closed: p.closed,
    options: p.answers.map((a) => ({ text: a.text, votes: a.votes })) }),
  ok: (p) => ({ question: p.question, multiple: (p.options || []).includes("MultipleChoice"), closed: false,
    options: p.answers.map((a) => ({ text: a.text, votes: a.votes_count })) }),
};
