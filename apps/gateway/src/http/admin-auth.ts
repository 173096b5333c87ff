import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { KeraConfig } from '@kera/config';
import { ADMIN_TOKEN_SETTING, readSetting } from '@kera/persistence';
import { problem, sendProblem } from '@kera/service';

const PUBLIC_API_PATHS = /^\/api\/docs(?:[/?#-]|$)/;
const RELOAD_MS = 10_000;

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Bearer-token check for /api/*. The token is compared as a SHA-256 hash in
 * constant time; with KERA_ADMIN_TOKEN unset, the hash stored by the first
 * `npm start` is used. The API documentation stays public: it holds no data.
 */
export class AdminAuth {
  private stored: { hash: Buffer | null; at: number } = { hash: null, at: 0 };

  constructor(
    private readonly config: KeraConfig,
    private readonly db: DataSource,
  ) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/') || PUBLIC_API_PATHS.test(request.url)) return;
      if (await this.allows(request)) return;
      reply.header('www-authenticate', 'Bearer realm="kera"');
      return sendProblem(reply, problem(401, 'a valid admin bearer token is required'));
    });
  }

  async allows(request: FastifyRequest): Promise<boolean> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,512})$/i.exec(header) : null;
    const expected = await this.expectedHash();
    if (!match?.[1] || !expected) return false;
    return timingSafeEqual(sha256(match[1]), expected);
  }

  private async expectedHash(): Promise<Buffer | null> {
    if (this.config.adminToken) return sha256(this.config.adminToken);
    if (Date.now() - this.stored.at > RELOAD_MS) {
      const value = await readSetting(this.db, ADMIN_TOKEN_SETTING);
      this.stored = { hash: value ? Buffer.from(value, 'hex') : null, at: Date.now() };
    }
    return this.stored.hash;
  }
}
