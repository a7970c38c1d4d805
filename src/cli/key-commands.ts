/** `doorway keygen` and `doorway pair`: a site's key pair, and pinning the peer's key. */
import type { Command } from 'commander';
import { loadSiteConfig } from '../config/index.js';
import { publicKeyOfFile, readPeerKey, setPeerKey, terminalQr, writeKeyPair } from '../keys/index.js';
import { hardwareDir } from '../paths/index.js';
import type { CliIo } from './index.js';

export function registerKeyCommands(program: Command, io: CliIo, root: string): void {
  program
    .command('keygen')
    .description("create this site's key pair: DIR/private.key (mode 0600) and DIR/public.key")
    .requiredOption('--out <dir>', 'folder for the key files')
    .option('--force', 'replace an existing key pair')
    .action((options: { out: string; force?: boolean }) => {
      const keys = writeKeyPair(options.out, { force: options.force === true });
      io.err(`wrote ${keys.privateKeyFile} (0600) and ${keys.publicKeyFile}\n`);
      io.out(`${keys.publicKey}\n`);
    });

  program
    .command('pair')
    .description(
      "show this site's public key (and a QR code); with --peer-key, pin the peer's key in the site config",
    )
    .requiredOption('--site <file>', 'site config')
    .option('--peer-key <key>', "the peer's public key: base64 text, or a file holding it")
    .option('--no-qr', 'print the key without the QR code')
    .action(async (options: { site: string; peerKey?: string; qr: boolean }) => {
      const hw = hardwareDir(root);
      const site = loadSiteConfig(options.site, { hardwareDir: hw });
      const own = publicKeyOfFile(site.privateKeyPath);
      io.out(`public key of ${site.site}: ${own}\n`);
      if (options.qr) io.out(await terminalQr(own));
      if (options.peerKey !== undefined) {
        const peer = readPeerKey(options.peerKey);
        setPeerKey(site.file, peer, hw);
        io.out(`pinned ${site.peer.site}'s key ${peer} in ${site.file}\n`);
      }
    });
}
