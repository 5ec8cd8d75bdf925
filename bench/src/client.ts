import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientReply, ClientRequest } from './protocol.js';

const CLIENT_ENTRY = fileURLToPath(new URL('./client-process.ts', import.meta.url));

/** The server process's handle on one client process: commands go over IPC, one reply each. */
export class ClientProcess {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ClientReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`client process exited (${code})`));
      this.pending.clear();
    });
  }

  /** Forks a client with the same loader flags as this process (tsx); never `--expose-gc`, nothing collects on demand. */
  static start(): ClientProcess {
    const child = fork(CLIENT_ENTRY, [], {
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof') && arg !== '--expose-gc'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ClientProcess(child);
  }

  call<T>(command: ClientCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as T), reject });
      this.child.send({ id, command } satisfies ClientRequest);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
