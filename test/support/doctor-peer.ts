/** Two sites for the doctor's peer checks: site-a probes, site-b answers with the appliance's own responder. */
import { writeFileSync } from 'node:fs';
import { MediaLink, STREAM_PORT_OFFSET, type StreamName } from '../../src/appliance/index.js';
import { loadSiteConfig, type SiteConfig } from '../../src/config/index.js';
import { checkPrivateKeyFile } from '../../src/keys/index.js';
import { decodeKey } from '../../src/noise/index.js';
import { ReedSolomonRepair } from '../../src/protocol/index.js';
import { writeSitePair, type PairSite } from '../../src/tools/site-pair.js';
import { builtProfile } from './site-pair.js';
import { HARDWARE } from './tree.js';

export interface PeerPair {
  /** site-a as `doorway doctor --site` loads it. */
  readonly a: SiteConfig;
  readonly aSite: PairSite;
  readonly b: PairSite;
}

export async function writePeerPair(dir: string): Promise<PeerPair> {
  const pair = await writeSitePair({ dir, profile: builtProfile() });
  return { a: loadSite(pair.a.file), aSite: pair.a, b: pair.b };
}

export function loadSite(file: string): SiteConfig {
  return loadSiteConfig(file, { hardwareDir: HARDWARE });
}

/** A pre-shared key file (mode 0600) holding `fill` repeated. */
export function writePsk(file: string, fill: number): string {
  writeFileSync(file, `${Buffer.alloc(32, fill).toString('base64')}\n`, { mode: 0o600 });
  return file;
}

/**
 * site-b's inbound links, as `doorway run` opens them, on its media ports: the responders a probe
 * from site-a meets. `pinned` is the initiator key they accept (site-a's public key, or another).
 */
export async function startResponders(
  b: PairSite,
  options: { pinned: string; psk?: string },
): Promise<MediaLink[]> {
  const site = loadSite(b.file);
  const streams: StreamName[] = ['video', 'audio'];
  const links = streams.map(
    (stream) =>
      new MediaLink({
        direction: 'inbound',
        stream,
        fps: 30,
        bind: { host: b.host, port: b.mediaPort + STREAM_PORT_OFFSET[stream] },
        keys: {
          staticPrivate: checkPrivateKeyFile(site.privateKeyPath),
          peerPublic: decodeKey(options.pinned, 'pinned'),
          ...(options.psk === undefined ? {} : { psk: checkPrivateKeyFile(options.psk) }),
          stateDir: b.stateDir,
        },
        repair: new ReedSolomonRepair(),
        onEvent: () => undefined,
      }),
  );
  await Promise.all(links.map((l) => l.start()));
  return links;
}

export async function closeAll(links: readonly MediaLink[]): Promise<void> {
  await Promise.all(links.map((l) => l.close()));
}
