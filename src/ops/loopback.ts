import { BlockList, isIP } from 'node:net';

// BlockList parses every spelling of an address (0:0:0:0:0:0:0:1, ::ffff:127.0.0.1), so the
// check cannot be fooled by a form a string comparison would miss.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `host` names this machine only: `localhost`, 127.0.0.0/8 or `::1` (also as an
 * IPv4-mapped address). Any other name is refused: one that needs resolving is not trusted to
 * stay local.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  switch (isIP(bare)) {
    case 4:
      return LOOPBACK.check(bare, 'ipv4');
    case 6:
      return LOOPBACK.check(bare, 'ipv6');
    default:
      return false;
  }
}
