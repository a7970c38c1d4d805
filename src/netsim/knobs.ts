import {
  validateLinkConfig,
  type LinkChange,
  type LinkConfig,
  type LossModel,
  type Outage,
} from './config.js';
import { NetsimConfigError } from './errors.js';
import type { Micros } from './units.js';

/** One knob of `doorway netsim` and of `parseKnobs`, for help text. */
export interface KnobHelp {
  readonly name: string;
  readonly syntax: string;
  readonly meaning: string;
}

export const KNOBS: readonly KnobHelp[] = [
  { name: 'loss', syntax: 'loss=2%', meaning: 'random loss probability (a percentage or a fraction)' },
  {
    name: 'ge',
    syntax: 'ge=P,R[,LG,LB]',
    meaning: 'Gilbert-Elliott loss: p(good→bad), p(bad→good), loss when good and when bad (default 0, 1)',
  },
  { name: 'delay', syntax: 'delay=10ms', meaning: 'base one-way delay (us, ms or s)' },
  {
    name: 'jitter',
    syntax: 'jitter=5ms[,uniform|normal]',
    meaning: 'extra delay per packet: uniform in [0, D), or half-normal with standard deviation D',
  },
  {
    name: 'jitter-reorder',
    syntax: 'jitter-reorder=on|off',
    meaning: 'whether jitter may reorder (default off)',
  },
  {
    name: 'reorder',
    syntax: 'reorder=1%[,10ms]',
    meaning: 'probability a packet is held back (10 ms by default) so later ones overtake it',
  },
  { name: 'dup', syntax: 'dup=0.5%', meaning: 'probability a packet is delivered twice' },
  {
    name: 'rate',
    syntax: 'rate=20mbit',
    meaning: 'bottleneck capacity (bit, kbit, mbit, gbit per second, or unlimited)',
  },
  {
    name: 'queue',
    syntax: 'queue=64kb[,100p]',
    meaning: 'bottleneck queue limit in bytes (b, kb, mb; 1 kb = 1024 bytes) and/or packets (p)',
  },
  {
    name: 'overhead',
    syntax: 'overhead=28',
    meaning: 'bytes added to each datagram for rate and queue accounting',
  },
  { name: 'outage', syntax: 'outage=5s+5s[,...]', meaning: 'link down from START for DURATION' },
  { name: 'rate-at', syntax: 'rate-at=5s:5mbit[,...]', meaning: 'capacity changes at the given times' },
];

const KNOB_NAMES = KNOBS.map((k) => k.name);

const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const PERCENT_RE = new RegExp(`^${NUMBER}%$`);
const FRACTION_RE = new RegExp(`^${NUMBER}$`);
const DURATION_RE = new RegExp(`^${NUMBER}(us|µs|ms|s)$`);
const RATE_RE = new RegExp(`^${NUMBER}(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)(?:/s)?$`, 'i');
const BYTES_RE = new RegExp(`^${NUMBER}(b|k|kb|kib|m|mb|mib)?$`, 'i');
const PACKETS_RE = /^(\d+)(p|pkt|pkts|packets)$/i;

const DURATION_SCALE: Readonly<Record<string, number>> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000 };
const RATE_SCALE: Readonly<Record<string, number>> = { bit: 1, k: 1e3, m: 1e6, g: 1e9 };
const BYTE_SCALE: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 * 1024 };

function bad(knob: string, value: string, expected: string): NetsimConfigError {
  return new NetsimConfigError(knob, `'${value}' is not ${expected}`);
}

function parseProbability(knob: string, text: string): number {
  const percent = PERCENT_RE.exec(text);
  const fraction = FRACTION_RE.exec(text);
  const p =
    percent?.[1] !== undefined
      ? Number(percent[1]) / 100
      : fraction?.[1] !== undefined
        ? Number(fraction[1])
        : NaN;
  if (!(p >= 0 && p <= 1)) throw bad(knob, text, 'a probability (0% to 100%, or 0 to 1)');
  return p;
}

function parseDuration(knob: string, text: string): Micros {
  if (text === '0') return 0 as Micros;
  const m = DURATION_RE.exec(text);
  const scale = DURATION_SCALE[m?.[2] ?? ''];
  const us = m?.[1] !== undefined && scale !== undefined ? Math.round(Number(m[1]) * scale) : NaN;
  if (!Number.isSafeInteger(us)) throw bad(knob, text, 'a duration such as 250us, 10ms or 1.5s');
  return us as Micros;
}

function parseRate(knob: string, text: string): number | null {
  if (/^(unlimited|off|none)$/i.test(text)) return null;
  const m = RATE_RE.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const scale = RATE_SCALE[unit.startsWith('bit') || unit === 'bps' ? 'bit' : unit.charAt(0)];
  const bps = m?.[1] !== undefined && scale !== undefined ? Number(m[1]) * scale : NaN;
  if (!(bps > 0 && Number.isFinite(bps)))
    throw bad(knob, text, 'a rate > 0 such as 500kbit, 20mbit or unlimited');
  return bps;
}

/** Queue limits: `64kb`, `100p`, or one of each separated by a comma. */
function parseQueue(knob: string, text: string): { bytes?: number; packets?: number } {
  const out: { bytes?: number; packets?: number } = {};
  for (const part of text.split(',')) {
    const packets = PACKETS_RE.exec(part);
    const bytes = BYTES_RE.exec(part);
    if (packets?.[1] !== undefined && out.packets === undefined) {
      out.packets = Number(packets[1]);
      if (out.packets >= 1) continue;
    } else if (bytes?.[1] !== undefined && out.bytes === undefined) {
      out.bytes = Math.round(
        Number(bytes[1]) * (BYTE_SCALE[(bytes[2] ?? 'b').charAt(0).toLowerCase()] ?? NaN),
      );
      if (out.bytes >= 1) continue;
    }
    throw bad(knob, text, 'a queue limit such as 64kb, 100p or 64kb,100p (each > 0, at most one of each)');
  }
  return out;
}

function parseOnOff(knob: string, text: string): boolean {
  if (/^(on|yes|true|1)$/i.test(text)) return true;
  if (/^(off|no|false|0)$/i.test(text)) return false;
  throw bad(knob, text, 'on or off');
}

function parseGilbertElliott(knob: string, text: string): LossModel {
  const parts = text.split(',');
  if (parts.length !== 2 && parts.length !== 4) {
    throw bad(knob, text, 'P,R or P,R,LOSS_GOOD,LOSS_BAD (e.g. 0.01,0.3,0,0.5)');
  }
  const [p, r, lossGood = '0', lossBad = '1'] = parts.map((part) => part.trim());
  return {
    kind: 'gilbert-elliott',
    pGoodToBad: parseProbability(knob, p ?? ''),
    pBadToGood: parseProbability(knob, r ?? ''),
    lossGood: parseProbability(knob, lossGood),
    lossBad: parseProbability(knob, lossBad),
  };
}

function parseOutages(knob: string, text: string): Outage[] {
  return text.split(',').map((part) => {
    const [start, duration, ...rest] = part.trim().split('+');
    if (start === undefined || duration === undefined || rest.length > 0) {
      throw bad(knob, text, 'START+DURATION[,...] such as 5s+5s');
    }
    const d = parseDuration(knob, duration);
    if (d === 0) throw bad(knob, text, 'an outage of positive duration');
    return { start: parseDuration(knob, start), duration: d };
  });
}

function parseRateSchedule(knob: string, text: string): LinkChange[] {
  return text.split(',').map((part) => {
    const [at, rate, ...rest] = part.trim().split(':');
    if (at === undefined || rate === undefined || rest.length > 0) {
      throw bad(knob, text, 'TIME:RATE[,...] such as 5s:5mbit');
    }
    return { at: parseDuration(knob, at), rateBitsPerSecond: parseRate(knob, rate) };
  });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Turns `doorway netsim` knobs (name → value, e.g. `{ loss: '2%', delay: '10ms' }`) into a
 * validated `LinkConfig`. Throws `NetsimConfigError` naming the knob for an unknown knob, a
 * malformed value or a conflict (`loss` with `ge`). Pure: no I/O.
 */
export function parseKnobs(args: Readonly<Record<string, string>>): LinkConfig {
  const config: Mutable<LinkConfig> = {};
  for (const [knob, raw] of Object.entries(args)) {
    const value = raw.trim();
    if (value === '') throw new NetsimConfigError(knob, 'needs a value');
    switch (knob) {
      case 'loss':
      case 'ge':
        if (config.loss !== undefined)
          throw new NetsimConfigError(knob, "'loss' and 'ge' cannot both be given");
        config.loss =
          knob === 'loss'
            ? { kind: 'bernoulli', p: parseProbability(knob, value) }
            : parseGilbertElliott(knob, value);
        break;
      case 'delay':
        config.delay = parseDuration(knob, value);
        break;
      case 'jitter': {
        const [amount = '', shape = 'uniform', ...rest] = value.split(',').map((part) => part.trim());
        const d = parseDuration(knob, amount);
        if (rest.length > 0) throw bad(knob, value, 'DURATION[,uniform|normal]');
        if (shape === 'uniform') config.jitter = { kind: 'uniform', max: d };
        else if (shape === 'normal') config.jitter = { kind: 'normal', stddev: d };
        else throw bad(knob, value, 'DURATION[,uniform|normal]');
        break;
      }
      case 'jitter-reorder':
        config.jitterMayReorder = parseOnOff(knob, value);
        break;
      case 'reorder': {
        const [p = '', hold, ...rest] = value.split(',').map((part) => part.trim());
        if (rest.length > 0) throw bad(knob, value, 'PROBABILITY[,HOLD] such as 1%,10ms');
        config.reorder = parseProbability(knob, p);
        if (hold !== undefined) config.reorderDelay = parseDuration(knob, hold);
        break;
      }
      case 'dup':
        config.duplicate = parseProbability(knob, value);
        break;
      case 'rate':
        config.rateBitsPerSecond = parseRate(knob, value);
        break;
      case 'queue': {
        const q = parseQueue(knob, value);
        if (q.bytes !== undefined) config.queueLimitBytes = q.bytes;
        if (q.packets !== undefined) config.queueLimitPackets = q.packets;
        break;
      }
      case 'overhead': {
        const bytes = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(bytes <= 65_535)) throw bad(knob, value, 'a number of bytes in [0, 65535]');
        config.overheadBytes = bytes;
        break;
      }
      case 'outage':
        config.outages = parseOutages(knob, value);
        break;
      case 'rate-at':
        config.schedule = parseRateSchedule(knob, value);
        break;
      default:
        throw new NetsimConfigError(knob, `unknown knob (known: ${KNOB_NAMES.join(', ')})`);
    }
  }
  // Every value was checked above; this guards the two stages against drifting apart.
  validateLinkConfig(config);
  return config;
}

/** `parseKnobs` over command-line words such as `['loss=2%', 'delay=10ms']`. */
export function parseKnobArgs(words: readonly string[]): LinkConfig {
  const args: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new NetsimConfigError(word, 'expected NAME=VALUE, such as loss=2%');
    const name = word.slice(0, eq);
    if (Object.hasOwn(args, name)) throw new NetsimConfigError(name, 'given twice');
    args[name] = word.slice(eq + 1);
  }
  return parseKnobs(args);
}
