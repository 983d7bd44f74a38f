// A client of the npm ws library: connects to the URL in argv[2] (any TLS certificate is checked against the CA file in
// argv[3] when given), sends a text, a 1 MiB binary and 50 more texts, checks each echo, then asks the server to close
// and checks the close code. Prints one line of JSON with what it saw; exits 0 when everything matched.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const url = process.argv[2];
const options = process.argv[3] ? { ca: readFileSync(process.argv[3]) } : {};
const expected = ['hello'];
const big = randomBytes(1 << 20);
const seen = { messages: 0, binaryOk: false, closeCode: null, upgradeStatus: null };
const socket = new WebSocket(url, options);
let failed = null;

socket.on('upgrade', (response) => { seen.upgradeStatus = response.statusCode; });
socket.on('unexpected-response', (request, response) => {
  seen.upgradeStatus = response.statusCode;
  console.log(JSON.stringify(seen));
  process.exit(3);
});
socket.on('open', () => {
  socket.send('hello');
  socket.send(big);
  for (let i = 0; i < 50; i++) {
    expected.push('message ' + i);
    socket.send('message ' + i);
  }
});
socket.on('message', (data, isBinary) => {
  seen.messages++;
  if (isBinary) {
    seen.binaryOk = Buffer.compare(Buffer.from(data), big) === 0;
  } else {
    const want = expected.shift();
    if (data.toString() !== want) {
      failed = `expected ${want}, got ${data.toString()}`;
    }
    if (expected.length === 0) {
      socket.send('close please');
    }
  }
});
socket.on('close', (code) => {
  seen.closeCode = code;
  console.log(JSON.stringify({ ...seen, failed }));
  process.exit(failed === null && seen.binaryOk && code === 4000 && seen.messages === 52 ? 0 : 1);
});
socket.on('error', (e) => {
  console.log(JSON.stringify({ ...seen, error: String(e) }));
  process.exit(2);
});
setTimeout(() => { console.log(JSON.stringify({ ...seen, error: 'timeout' })); process.exit(4); }, 60000);
