/**
 * The one typed boundary to `native/udp`: the batched datagram port (recvmmsg/sendmmsg, GRO/GSO,
 * DSCP, and the native first look at every datagram) and its filter on its own for the tests. It
 * has no features; every profile builds it. `chooseUdpPort()` makes the process-wide choice the
 * drivers are handed, as `chooseAead()` does for sealing.
 */
import { NativeAddonError } from '../errors/index.js';
import { appRoot, manifestPath } from '../paths/index.js';
import { readManifest, type BuildManifest } from '../profiles/index.js';
import type { BatchFilterMode, BatchPort, BatchPortFactory, BatchPortOptions } from '../udp/index.js';
import { loadManifestAddon, type AddonShape } from './native-loader.js';

const SHAPE: AddonShape = { always: ['UdpPort', 'DatagramFilter'], byFeature: {} };

type RawUdpPortClass = new (options: BatchPortOptions, onBatch: (count: number) => void) => BatchPort;

/** What the native filter said of one datagram: `passed`, or the reason it was dropped. */
export type DatagramVerdict =
  'passed' | 'truncated' | 'unknownType' | 'badLength' | 'unknownIndex' | 'handshakeRate' | 'badMac';

/** The port's filter alone: the same code, for tests that judge it datagram by datagram. */
export interface DatagramFilter {
  /** `nowUs`: any monotonic microsecond clock (it paces handshake messages). */
  classify(bytes: Uint8Array, nowUs: number): DatagramVerdict;
  setIndices(indices: readonly number[]): void;
  setMac1Key(key: Uint8Array): void;
  counts(): Readonly<Record<DatagramVerdict, number>>;
}

export interface DatagramFilterOptions {
  readonly mode: BatchFilterMode;
  readonly handshakePerSecond?: number;
  readonly handshakeBurst?: number;
}

type RawDatagramFilterClass = new (options: DatagramFilterOptions) => DatagramFilter;

export interface UdpAddon {
  readonly createPort: BatchPortFactory;
  readonly createFilter: (options: DatagramFilterOptions) => DatagramFilter;
}

export function loadUdpAddon(manifest: BuildManifest, root: string): UdpAddon {
  const { exports } = loadManifestAddon('udp', SHAPE, manifest, root);
  // loadManifestAddon checked both are functions; their shapes are native/udp/src/addon.cc's.
  const UdpPort = exports.UdpPort as RawUdpPortClass;
  const Filter = exports.DatagramFilter as RawDatagramFilterClass;
  return {
    createPort: (options, onBatch) => {
      try {
        return new UdpPort(options, onBatch);
      } catch (err) {
        if (err instanceof TypeError || err instanceof RangeError) throw err;
        throw new NativeAddonError('udp', err instanceof Error ? err.message : String(err));
      }
    },
    createFilter: (options) => new Filter(options),
  };
}

export interface UdpPortChoice {
  /** The native port, or null when this tree has no native build (the node:dgram driver then). */
  readonly addon: UdpAddon | null;
  readonly fallbackReason: string | null;
}

let chosen: UdpPortChoice | undefined;

/** The process-wide choice, resolved on first use. */
export function chooseUdpPort(): UdpPortChoice {
  if (chosen === undefined) {
    try {
      const root = appRoot();
      chosen = { addon: loadUdpAddon(readManifest(manifestPath(root)), root), fallbackReason: null };
    } catch (err) {
      chosen = { addon: null, fallbackReason: err instanceof Error ? err.message : String(err) };
    }
  }
  return chosen;
}

/** Which UDP driver a tool or the link asked for. */
export type UdpDriverChoice = 'auto' | 'native' | 'dgram';

/**
 * The port factory for a choice: `auto` the native port when built (else null: node:dgram),
 * `dgram` always null, `native` the port or a NativeAddonError naming why it is not there.
 */
export function udpPortFactory(choice: UdpDriverChoice): BatchPortFactory | null {
  if (choice === 'dgram') return null;
  const { addon, fallbackReason } = chooseUdpPort();
  if (addon === null && choice === 'native') {
    throw new NativeAddonError('udp', `the native UDP port is not available: ${fallbackReason ?? ''}`);
  }
  return addon?.createPort ?? null;
}
