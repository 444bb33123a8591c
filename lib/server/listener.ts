import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { ListenAddress } from '../config/bind-address.js';
import type { Logger } from '../log.js';

/** Called for each new client connection; returns the function that closes it. */
export type ConnectionHandler = (conn: Connection, info: ssh2.ClientInfo) => () => void;

/** The SSH listener: owns the ssh2 server and every live client connection. */
export class SshListener {
  readonly #server: ssh2.Server;
  readonly #closers = new Set<() => void>();
  readonly #log: Logger;

  constructor(hostKey: string, handler: ConnectionHandler, log: Logger, ident = 'sshportal') {
    this.#log = log;
    this.#server = new ssh2.Server({
      hostKeys: [hostKey],
      ident,
      // aes-gcm first is faster with the native binding; chacha20 stays available.
      algorithms: {
        cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
      },
    }, (conn, info) => {
      const close = handler(conn, info);
      this.#closers.add(close);
      conn.on('close', () => this.#closers.delete(close));
      // Garbage on the port must never take the server down.
      conn.on('error', () => undefined);
    });
    this.#server.on('error', (err: Error) => this.#log.warn('listener error', { err }));
  }

  /** Starts listening; resolves with the bound address. */
  listen(addr: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(addr.port, addr.host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** The bound address. */
  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Stops listening and ends every client connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const close of this.#closers) close();
      this.#closers.clear();
    });
  }
}
