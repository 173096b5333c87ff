/**
 * The ingress baseline as a process of its own, as bench/ingress.ts runs it: configured by
 * BENCH_NATS_URL, BENCH_SUBJECT and BENCH_SECRET, it prints `{"port":<n>}` once it listens
 * and stops on SIGTERM.
 */
import { startIngressBaseline } from './ingress-baseline';

async function main(): Promise<void> {
  const baseline = await startIngressBaseline({
    natsUrl: required('BENCH_NATS_URL'),
    subject: required('BENCH_SUBJECT'),
    secret: required('BENCH_SECRET'),
  });
  process.stdout.write(`${JSON.stringify({ port: baseline.port })}\n`);
  process.once('SIGTERM', () => void baseline.close().then(() => process.exit(0)));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(`ingress baseline: ${String(error)}\n`);
  process.exit(1);
});
