// Prints the Debian packages a hardware profile needs, one per line. Plain JS with no
// dependencies, because it runs before `npm ci` on a fresh machine.
// Usage: node scripts/profile-packages.mjs PROFILE [--test] [--image]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const hardware = join(dirname(fileURLToPath(import.meta.url)), '..', 'hardware');
const [profileName, ...flags] = process.argv.slice(2);
if (!profileName) {
  process.stderr.write('usage: profile-packages.mjs PROFILE [--test] [--image]\n');
  process.exit(2);
}
const table = JSON.parse(readFileSync(join(hardware, 'features.json'), 'utf8'));
let profile;
try {
  profile = JSON.parse(readFileSync(join(hardware, 'profiles', `${profileName}.json`), 'utf8'));
} catch {
  process.stderr.write(`unknown profile '${profileName}' (no hardware/profiles/${profileName}.json)\n`);
  process.exit(2);
}
const packages = new Set(table.base.packages);
if (flags.includes('--test')) for (const p of table.test.packages) packages.add(p);
if (flags.includes('--image')) for (const p of table.image.packages) packages.add(p);
for (const feature of profile.features ?? []) {
  const spec = table.features[feature];
  if (!spec) {
    process.stderr.write(`hardware/profiles/${profileName}.json: unknown feature '${feature}'\n`);
    process.exit(2);
  }
  for (const p of spec.packages) packages.add(p);
}
process.stdout.write([...packages].sort().join('\n') + '\n');
