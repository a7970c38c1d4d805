/**
 * A stand-in for systemd's notify socket: an AF_UNIX datagram socket (bound by python3, as Node
 * cannot bind one; `@name` is an abstract address) that records every READY/STATUS/WATCHDOG
 * message with when it arrived and the sender's pid from SCM_CREDENTIALS, as systemd checks it for
 * NotifyAccess=main. Pass its path as NOTIFY_SOCKET, with WATCHDOG_USEC, to the process under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const LISTENER = String.raw`
import json, socket, struct, sys
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + address[1:] if address.startswith('@') else address)
print(json.dumps({'bound': True}), flush=True)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', value[:12])[0]
    print(json.dumps({'pid': pid, 'text': data.decode()}), flush=True)
`;

export interface Notification {
  /** Unix time, ms, when the test process read it. */
  readonly atMs: number;
  /** The sender's pid, as the kernel vouches for it. */
  readonly pid: number | null;
  /** The datagram as sent: `WATCHDOG=1`, `STATUS=...`, `READY=1\nSTATUS=...`. */
  readonly text: string;
}

export class NotifyListener {
  readonly #child: ChildProcess;
  readonly #received: Notification[] = [];
  /** How many of `received` `next()` has handed out. */
  #read = 0;
  #wake: (() => void) | null = null;
  #stderr = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Binds `address` and resolves once datagrams sent there will be recorded. */
  static async start(address: string): Promise<NotifyListener> {
    const child = spawn('python3', ['-c', LISTENER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
    const listener = new NotifyListener(child);
    child.stderr.on('data', (chunk: Buffer) => {
      listener.#stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.once('error', reject);
      child.once('exit', (code) => {
        reject(new Error(`notify listener exited (${String(code)}): ${listener.#stderr}`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = JSON.parse(buffered.slice(0, nl)) as {
            bound?: boolean;
            pid?: number | null;
            text?: string;
          };
          buffered = buffered.slice(nl + 1);
          if (line.bound === true) resolve();
          else if (line.text !== undefined) {
            listener.#received.push({ atMs: Date.now(), pid: line.pid ?? null, text: line.text });
            listener.#wake?.();
          }
        }
      });
    });
    return listener;
  }

  /** Everything received so far, oldest first. */
  get received(): readonly Notification[] {
    return this.#received;
  }

  /** The next message not yet handed out, waiting up to `timeoutMs` for it. */
  async next(timeoutMs = 5000): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = this.#received[this.#read];
      if (ready !== undefined) {
        this.#read++;
        return ready;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no datagram within ${String(timeoutMs)} ms; listener stderr: ${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  stop(): void {
    this.#child.kill();
  }
}
