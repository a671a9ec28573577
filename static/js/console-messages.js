// Private messages from the console: to one participant (from the people list) or to one breakout
// room (from its card). One dialog serves both; the answer says how many devices received it, so a
// facilitator knows when the person is not connected and the words went nowhere.
const $ = (id) => document.getElementById(id);

export function consoleMessages({ live, announce, showError }) {
  const dialog = $("message-dialog");
  const text = $("message-text");
  let target = null;
  let sending = false;

  function open(to) {
    target = to;
    $("message-dialog-title").textContent = to.room ? `Message to Room ${to.number}` : `Private message to ${to.name}`;
    $("message-hint").textContent = to.room
      ? "Only the people in this room receive it, on the devices they have connected now."
      : `Only ${to.name} receives it, on the devices they have connected now. Mend keeps no copy.`;
    text.value = "";
    dialog.showModal();
    text.focus();
  }

  $("message-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const words = text.value.trim();
    if (!words || !target || sending) return;
    sending = true;
    const to = target;
    const ack = to.room
      ? await live.command("message:room", { round: to.round, room: to.room, text: words })
      : await live.command("message:participant", { participant: to.participant, text: words });
    sending = false;
    if (!ack.ok) { showError(ack.error.message); return; }
    dialog.close();
    const who = to.room ? `Room ${to.number}` : to.name;
    announce(ack.devices
      ? `Sent to ${who} (${ack.devices} device${ack.devices === 1 ? "" : "s"}).`
      : `${who} ${to.room ? "has" : "is"} no device connected: the message was not delivered.`);
  });
  $("message-cancel").addEventListener("click", () => dialog.close());

  return { open };
}
