import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The page's files live next to this source file in `public/`. The build
 * (tsc) does not copy them, and dist/ mirrors the source tree, so a
 * compiled controller finds them by leaving out the `dist` segment.
 */
export const DASHBOARD_DIR = path.join(sourceDirectory(__dirname), 'public');

function sourceDirectory(directory: string): string {
  const marker = `${path.sep}dist${path.sep}`;
  const at = directory.lastIndexOf(marker);
  return at < 0 ? directory : directory.slice(0, at) + directory.slice(at + marker.length - 1);
}

const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/**
 * The page may only load its own script and style and talk to this origin;
 * it holds no data itself (everything comes from /api/* with the token).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /dashboard`: a static page (HTML, vanilla JS, CSS; no build step)
 * that polls the admin API and draws what flows through the webhooks.
 * The files are read once, at start-up.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  private readonly files = new Map<string, Buffer>(
    ['dashboard.html', ...Object.keys(ASSETS)].map((name) => [
      name,
      readFileSync(path.join(DASHBOARD_DIR, name)),
    ]),
  );

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CONTENT_SECURITY_POLICY)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('cache-control', 'no-cache')
  page(): Buffer {
    return this.files.get('dashboard.html') as Buffer;
  }

  @Get(':asset')
  asset(@Param('asset') name: string, @Res() reply: FastifyReply): FastifyReply {
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    const body = this.files.get(name);
    if (!type || !body) throw new NotFoundException(`no dashboard file ${name}`);
    return reply
      .header('content-type', type)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(body);
  }
}
