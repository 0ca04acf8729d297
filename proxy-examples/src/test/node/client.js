// A socket.io 4 client with default transports (HTTP long polling first, then the upgrade to
// WebSocket): `node client.js <url> [messages]`. Cookies are kept (withCredentials), so a proxy's
// affinity cookie is sent back on later polls and on the upgrade. Prints one JSON line, e.g.
// {"server":"a","transport":"websocket","echoes":3}, and exits 0; prints the error and exits 1 on
// a connect error, a wrong echo or after 20 s.
const { io } = require("socket.io-client");

const url = process.argv[2];
const messages = Number(process.argv[3] || 3);

const fail = (why) => {
  console.log(JSON.stringify({ error: String(why) }));
  process.exit(1);
};
setTimeout(() => fail("timeout"), 20000).unref();

const socket = io(url, { reconnection: false, withCredentials: true });
let server;
socket.on("connect_error", (err) => fail(`connect_error: ${err.message} ${err.description || ""}`));
socket.on("hello", (name) => {
  server = name;
  const finish = () => {
    let echoes = 0;
    socket.on("echo", (payload) => {
      if (payload !== `message ${echoes}`) fail(`echo ${echoes} was ${payload}`);
      if (++echoes === messages) {
        console.log(JSON.stringify({ server, transport: socket.io.engine.transport.name, echoes }));
        socket.close();
        process.exit(0);
      }
    });
    for (let i = 0; i < messages; i++) socket.emit("echo", `message ${i}`);
  };
  // Messages both ways on polling first, then again once upgraded.
  if (socket.io.engine.transport.name === "websocket") finish();
  else socket.io.engine.once("upgrade", finish);
});
