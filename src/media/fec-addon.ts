/**
 * The one typed boundary to `native/fec`: the SIMD GF(2^8) kernel the transport's erasure code
 * runs on, and the OpenSSL AEAD that seals its packets. It has no features; every profile builds it.
 */
import { NativeAddonError } from '../errors/index.js';
import type { AccumulateKernel } from '../fec/index.js';
import type { BuildManifest } from '../profiles/index.js';
import type { AeadBackend, AeadOpenContext, AeadSealContext, SealCipher } from '../seal/index.js';
import { loadManifestAddon, type AddonShape } from './native-loader.js';

const SHAPE: AddonShape = { always: ['accumulate', 'SealAead'], byFeature: {} };

export interface FecKernel {
  readonly accumulate: AccumulateKernel;
  /** Which implementation the CPU got: `avx2`, `ssse3` or `scalar`. */
  readonly name: string;
}

/**
 * One EVP_CIPHER_CTX keyed once (`seal` true: encrypting); its methods are exactly the AEAD
 * contexts' of src/seal, so instances are handed out as they are, with no wrapper per packet.
 */
type RawSealAead = AeadSealContext & AeadOpenContext;
type RawSealAeadClass = new (cipher: SealCipher, key: Uint8Array, seal: boolean) => RawSealAead;

export function loadFecKernel(manifest: BuildManifest, appRoot: string): FecKernel {
  const { exports } = loadManifestAddon('fec', SHAPE, manifest, appRoot);
  // loadManifestAddon checked that `accumulate` is a function.
  const accumulate = exports.accumulate as AccumulateKernel;
  return { accumulate, name: typeof exports.kernel === 'string' ? exports.kernel : 'unknown' };
}

/** A key libcrypto refused to set up (it never does for a 32-byte key) as a one-line error. */
function create(SealAead: RawSealAeadClass, cipher: SealCipher, key: Uint8Array, seal: boolean): RawSealAead {
  try {
    return new SealAead(cipher, key, seal);
  } catch (err) {
    if (err instanceof TypeError) throw err;
    throw new NativeAddonError('fec', err instanceof Error ? err.message : String(err));
  }
}

/**
 * ChaCha20-Poly1305 and AES-256-GCM on Debian's libcrypto, one context per key reused across
 * packets: the backend `chooseAead` hands the sessions when the build has it. Each context's key is
 * wiped when it is released (or collected).
 */
export function loadSealAead(manifest: BuildManifest, appRoot: string): AeadBackend {
  const { exports } = loadManifestAddon('fec', SHAPE, manifest, appRoot);
  // loadManifestAddon checked that `SealAead` is a function; its shape is seal_aead.cc's.
  const SealAead = exports.SealAead as RawSealAeadClass;
  return {
    name: 'openssl',
    createSealContext: (cipher, key) => create(SealAead, cipher, key, true),
    createOpenContext: (cipher, key) => create(SealAead, cipher, key, false),
  };
}
