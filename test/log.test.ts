import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogRoot } from '../src/log/index.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('logging', () => {
  it('writes JSON lines that each carry their component, once', () => {
    const { stream, lines } = capture();
    const root = createLogRoot({ destination: stream, pretty: false });
    root.component('encoder').info({ kbps: 8000 }, 'bitrate set');
    root.component('transport').warn('peer silent');
    const [first, second] = lines();
    assert.equal(first?.component, 'encoder');
    assert.equal(first.msg, 'bitrate set');
    assert.equal(first.kbps, 8000);
    assert.equal(second?.component, 'transport');
    assert.equal(second.level, 40);
  });

  it('keeps a single component key on child loggers', () => {
    const { stream } = capture();
    const chunks: string[] = [];
    stream.on('pipe', () => undefined);
    const root = createLogRoot({ destination: { write: (s: string) => chunks.push(s) }, pretty: false });
    root.component('audio').child({ stream: 1 }).info('started');
    const text = chunks.join('');
    assert.equal(text.match(/"component"/g)?.length, 1);
    assert.match(text, /"stream":1/);
  });

  it('honours the level', () => {
    const chunks: string[] = [];
    const root = createLogRoot({
      destination: { write: (s: string) => chunks.push(s) },
      pretty: false,
      level: 'warn',
    });
    root.component('x').info('hidden');
    root.component('x').error('shown');
    assert.equal(chunks.length, 1);
    assert.match(chunks[0] ?? '', /"msg":"shown"/);
  });
});
