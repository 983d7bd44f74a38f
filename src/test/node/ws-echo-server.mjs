// A WebSocket echo server of the npm ws library on a free loopback port; prints the port on its first line, then
// runs until its stdin closes (the Java test that started it ends). Answers "close please" with close code 4000.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (socket, request) => {
  socket.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'close please') {
      socket.close(4000, 'asked to');
      return;
    }
    socket.send(data, { binary: isBinary });
  });
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
