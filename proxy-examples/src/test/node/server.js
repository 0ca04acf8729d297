// A socket.io 4 server for tests: `node server.js <port> <name>` (port 0 picks a free one).
// Prints "listening <port>" once ready. Every socket gets "hello" with the server's name; "echo"
// is answered with "echo" and the same payload. A plain GET of /name answers the name, so a test
// can see which server a request reached.
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
const name = process.argv[3] || "server";

const httpServer = http.createServer((req, res) => {
  if (req.url === "/name") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(name);
  } else {
    res.writeHead(404);
    res.end();
  }
});
const io = new Server(httpServer, { cors: { origin: true, credentials: true } });
io.on("connection", (socket) => {
  socket.emit("hello", name);
  socket.on("echo", (payload) => socket.emit("echo", payload));
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
