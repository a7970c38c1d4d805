/**
 * Micro-benchmark of src/seal: seal + open of 1200-byte datagrams through Sealer/Opener, for both
 * ciphers, next to a raw createCipheriv/createDecipheriv loop of the same cipher in the same run.
 * One core, one process; the figure is sealed-and-opened packets per second (both ends' work on one
 * core, so each direction alone has at least this much headroom).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/seal.js
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { chooseAead } from '../src/media/index.js';
import { CIPHERS, Opener, Sealer, type SealCipher } from '../src/seal/index.js';
import { publish, target } from './results.js';

const PAYLOAD = 1200;
const PACKETS = 20_000;
const ROUNDS = 7;

type Variant = (cipher: SealCipher, count: number) => void;

const plaintext = randomBytes(PAYLOAD);
const keyBytes = randomBytes(32);
const keyObject = createSecretKey(keyBytes);
let sink = 0;
/** What the sessions are handed: OpenSSL's where the build has it (src/media's choice). */
const aead = chooseAead().backend;

/** The bare AEAD calls one packet needs, with no header handling: what node:crypto costs at best. */
function rawLoop(key: Buffer | KeyObject): Variant {
  return (cipher, count) => {
    const nonce = Buffer.alloc(12);
    const aad = Buffer.alloc(13);
    for (let i = 0; i < count; i++) {
      nonce.writeUInt32BE(i, 8);
      // The union of names picks the generic overload; cast through the GCM one, same calls either way.
      const c = createCipheriv(cipher as 'aes-256-gcm', key, nonce, { authTagLength: 16 });
      c.setAAD(aad);
      const body = c.update(plaintext);
      c.final();
      const tag = c.getAuthTag();
      const d = createDecipheriv(cipher as 'aes-256-gcm', key, nonce, { authTagLength: 16 });
      d.setAAD(aad);
      d.setAuthTag(tag);
      const opened = d.update(body);
      d.final();
      sink += opened.length;
    }
  };
}

/** Through the classes, with caller-provided buffers (how the transport will use them). */
const classesInto: Variant = (cipher, count) => {
  const sealer = new Sealer({ key: keyBytes, receiverIndex: 7, cipher, aead });
  const opener = new Opener({ key: keyBytes, receiverIndex: 7, cipher, aead });
  const packet = new Uint8Array(PAYLOAD + sealer.overheadBytes);
  const out = new Uint8Array(PAYLOAD);
  for (let i = 0; i < count; i++) {
    const sealed = sealer.seal(plaintext, packet);
    if (sealed === null) throw new Error('message limit reached');
    const result = opener.open(sealed, out);
    if (!result.ok) throw new Error(`open failed: ${result.reason}`);
    sink += result.plaintext.length;
  }
};

/** Through the classes, letting them allocate the packet and the plaintext. */
const classesAlloc: Variant = (cipher, count) => {
  const sealer = new Sealer({ key: keyBytes, receiverIndex: 7, cipher, aead });
  const opener = new Opener({ key: keyBytes, receiverIndex: 7, cipher, aead });
  for (let i = 0; i < count; i++) {
    const sealed = sealer.seal(plaintext);
    if (sealed === null) throw new Error('message limit reached');
    const result = opener.open(sealed);
    if (!result.ok) throw new Error(`open failed: ${result.reason}`);
    sink += result.plaintext.length;
  }
};

const variants: Record<string, Variant> = {
  'raw-buffer-key': rawLoop(keyBytes),
  'raw-keyobject': rawLoop(keyObject),
  'classes-into': classesInto,
  'classes-alloc': classesAlloc,
};

function rate(variant: Variant, cipher: SealCipher): number {
  const start = process.hrtime.bigint();
  variant(cipher, PACKETS);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return PACKETS / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// Rounds interleave the variants so drift in CPU clock or noise hits all of them alike.
const samples = new Map<string, number[]>();
for (let round = -1; round < ROUNDS; round++) {
  for (const cipher of CIPHERS) {
    for (const [name, variant] of Object.entries(variants)) {
      const value = rate(variant, cipher);
      if (round < 0) continue; // warm-up
      const key = `${cipher} ${name}`;
      const list = samples.get(key) ?? [];
      list.push(value);
      samples.set(key, list);
    }
  }
}

const rates: Record<string, number> = {};
for (const [key, list] of samples) rates[key] = Math.round(median(list));

const targets = [];
const notes: string[] = [];
for (const cipher of CIPHERS) {
  const raw = Math.max(rates[`${cipher} raw-buffer-key`] ?? 0, rates[`${cipher} raw-keyobject`] ?? 0);
  const into = rates[`${cipher} classes-into`] ?? 0;
  const alloc = rates[`${cipher} classes-alloc`] ?? 0;
  targets.push(target(`${cipher} sealed+opened, 1200 B, one core`, into, 'pkt/s', '>=', 25_000));
  targets.push(target(`${cipher} classes / raw cipher`, Number((into / raw).toFixed(3)), 'x', '>=', 0.8));
  notes.push(
    `${cipher}: raw ${raw} pkt/s (buffer key ${rates[`${cipher} raw-buffer-key`] ?? 0}, KeyObject ${rates[`${cipher} raw-keyobject`] ?? 0}), classes into caller buffers ${into}, classes allocating ${alloc} (${(1e6 / into).toFixed(1)} µs per seal+open)`,
  );
}
notes.push(`median of ${ROUNDS} interleaved rounds of ${PACKETS} packets; raw = the faster raw loop`);

publish(
  'seal',
  targets,
  { payloadBytes: PAYLOAD, packets: PACKETS, rounds: ROUNDS, aead: aead.name, rates, sink },
  notes,
);
