#!/usr/bin/env node
// The PouchDB baseline of the sync bench (hub/benches/sync.rs): CouchDB-style document
// replication between PouchDB clients (memory adapter) and `pouchdb-server --in-memory`
// on loopback, one document per sample row. Prints docs/s for a push of locally made
// documents, a pull into a fresh client, and the time of a push right after a pull when
// nothing is new.
//
//   npm install --prefix hub/benches/pouchdb
//   node hub/benches/pouchdb/bench.mjs
//
//   POUCH_PUSH_DOCS  documents made locally and pushed (default 6000, the sync bench's
//                    default push is 6,000 commands)
//   POUCH_PULL_DOCS  documents on the server pulled into a fresh client (default 100000)
//   POUCH_SHIFT_DOCS documents each of three clients makes offline before they all sync
//                    (default 2000; a tenth of them the same documents on every client)

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));

const PUSH_DOCS = Number(process.env.POUCH_PUSH_DOCS ?? 6000);
const PULL_DOCS = Number(process.env.POUCH_PULL_DOCS ?? 100000);
const SHIFT_DOCS = Number(process.env.POUCH_SHIFT_DOCS ?? 2000);
const PORT = 5984 + Math.floor(Math.random() * 1000);

/** A document the size and shape of a sample row. */
function sample(i, prefix) {
  return {
    _id: `${prefix}-${String(i).padStart(9, '0')}`,
    code: `S${String(i).padStart(8, '0')}X`,
    participant_id: `p-${Math.floor(i / 2)}`,
    sample_type: 'whole_blood',
    status: 'stored',
    box_id: `box-${Math.floor(i / 80)}`,
    position: `A${(i % 9) + 1}`,
    collected_at: '2026-12-01T09:00:00.000000Z',
    volume_ul: 500,
  };
}

async function startServer() {
  const bin = path.join(here, 'node_modules', '.bin', 'pouchdb-server');
  // It writes a config file and a log where it runs: a scratch folder.
  const server = spawn(bin, ['--in-memory', '--port', String(PORT), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: mkdtempSync(path.join(tmpdir(), 'pouchdb-server-')),
  });
  const url = `http://127.0.0.1:${PORT}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return { server, url };
    } catch {
      /* not yet listening */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new Error('pouchdb-server did not start');
}

async function bulk(db, docs) {
  for (let i = 0; i < docs.length; i += 1000) await db.bulkDocs(docs.slice(i, i + 1000));
}

async function timed(what) {
  const started = process.hrtime.bigint();
  await what();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const { server, url } = await startServer();
try {
  const opts = { batch_size: 1000, batches_limit: 10 };
  // Push: documents made on the client, replicated to the server.
  const local = new PouchDB('push-local', { adapter: 'memory' });
  await bulk(local, Array.from({ length: PUSH_DOCS }, (_, i) => sample(i, 'push')));
  const remote = new PouchDB(`${url}/lab`);
  const push = await timed(() => local.replicate.to(remote, opts));
  console.log(`pouchdb push: ${PUSH_DOCS} docs in ${push.toFixed(2)} s = ${Math.round(PUSH_DOCS / push)}/s`);

  // Pull: the server's documents into a fresh client.
  await bulk(remote, Array.from({ length: PULL_DOCS }, (_, i) => sample(i, 'pull')));
  const fresh = new PouchDB('pull-local', { adapter: 'memory' });
  const pull = await timed(() => fresh.replicate.from(remote, opts));
  const total = PUSH_DOCS + PULL_DOCS;
  console.log(`pouchdb pull into a fresh client: ${total} docs in ${pull.toFixed(2)} s = ${Math.round(total / pull)}/s`);

  // The first push after that pull, with nothing new to send.
  const empty = await timed(() => fresh.replicate.to(remote, opts));
  console.log(`pouchdb push with nothing to send, right after the pull (${total} docs held): ${empty.toFixed(2)} s`);

  // An offline shift: three clients each make SHIFT_DOCS documents (a tenth of them the same
  // ids on every client: conflicts), then all sync with the server, round after round,
  // until every client holds every document.
  const shiftRemote = new PouchDB(`${url}/shift`);
  const clients = [0, 1, 2].map((n) => new PouchDB(`shift-${n}`, { adapter: 'memory' }));
  const shared = Math.floor(SHIFT_DOCS / 10);
  await Promise.all(
    clients.map((c, n) =>
      bulk(c, [
        ...Array.from({ length: shared }, (_, i) => ({ ...sample(i, 'shared'), desk: n })),
        ...Array.from({ length: SHIFT_DOCS - shared }, (_, i) => sample(i, `desk${n}`)),
      ]),
    ),
  );
  const expected = shared + 3 * (SHIFT_DOCS - shared);
  let rounds = 0;
  const converge = await timed(async () => {
    for (;;) {
      rounds += 1;
      await Promise.all(clients.map((c) => c.sync(shiftRemote, opts)));
      const counts = await Promise.all(clients.map((c) => c.info().then((i) => i.doc_count)));
      if (counts.every((n) => n === expected)) break;
    }
  });
  console.log(
    `pouchdb offline shift: 3 clients × ${SHIFT_DOCS} docs (${shared} the same on each: conflicts) converged in ${converge.toFixed(2)} s (${rounds} rounds)`,
  );
} finally {
  server.kill();
}
