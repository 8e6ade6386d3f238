import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The bench's floor: a bare `node:http` server that reads each request whole
 * and answers with the bytes of BENCH_BODY_FILE (Reelcheck's own response to
 * the measured query), as JSON. Nothing is parsed or computed per request.
 * Forked by servers.ts; reports its port over IPC.
 */
const body = fs.readFileSync(process.env.BENCH_BODY_FILE!);
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
};

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('SIGTERM', () => process.exit(0));
