/**
 * `doorway provision`: what doorway-provision.service runs at every boot of an appliance. Imports
 * the boot partition's site/ folder, makes the key pair on first boot, and shows the public key
 * (with its QR code) on the console, where a person setting the site up can read it.
 */
import type { Command } from 'commander';
import { terminalQr } from '../keys/index.js';
import { hardwareDir } from '../paths/index.js';
import { provisionSite } from '../provision/index.js';
import type { CliIo } from './index.js';

export function registerProvisionCommand(program: Command, io: CliIo, root: string): void {
  program
    .command('provision')
    .description("import a site's config from the boot partition and make its key pair on first boot")
    .option('--from <dir>', 'the provisioning folder an operator writes', '/efi/site')
    .option('--etc <dir>', "the site's config folder", '/etc/doorway')
    .option('--network-dir <dir>', 'where systemd-networkd files go', '/etc/systemd/network')
    .option('--no-qr', 'print the public key without the QR code')
    .action(async (options: { from: string; etc: string; networkDir: string; qr: boolean }) => {
      const report = provisionSite({
        dropDir: options.from,
        etcDir: options.etc,
        networkDir: options.networkDir,
        hardwareDir: hardwareDir(root),
      });
      if (report.imported.length > 0)
        io.out(`doorway: imported ${report.imported.join(', ')} from ${options.from}\n`);
      for (const line of report.rejected) io.out(`doorway: not imported: ${line}\n`);
      if (report.keyCreated) io.out("doorway: made this site's key pair (first boot)\n");
      io.out(`doorway: this site's public key: ${report.publicKey}\n`);
      if (options.qr) io.out(await terminalQr(report.publicKey));
      io.out(
        report.siteProblem === null
          ? 'doorway: site config loads; the roles start now\n'
          : `doorway: waiting for a site config: ${report.siteProblem}\n`,
      );
    });
}
