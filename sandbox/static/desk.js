// The banner's «Остановить бота» / «Запустить бота» (sandbox/web.py /api/desk).
// Loaded before app.js, whose main() calls setupPower.
"use strict";

// The desk stopped and started again: what citizens write meanwhile waits on the networks and
// is read back at the start (Telegram's updates, VK's unread dialogues, OK's group chats).
function setupPower() {
  const button = $("#desk-power");
  button.addEventListener("click", async () => {
    const running = button.dataset.stopped !== "1";
    button.disabled = true;
    try {
      await postJSON("/api/desk", { running: !running });
      button.dataset.stopped = running ? "1" : "0";
      button.textContent = running ? "Запустить бота" : "Остановить бота";
      toast(running
        ? "Бот остановлен. Напишите от имени жителя — сообщения дождутся запуска."
        : "Бот запущен: написанное без него он прочитал сам.");
    } catch (err) {
      toast(`Не вышло: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
}
