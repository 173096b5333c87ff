/**
 * Prints where a process profiled by a benchmark (BENCH_PROFILE=<process>) spent the time it
 * was running: self time per package and per function, and time per function including what
 * it called, largest first.
 *
 *   node -r ./tools/register.js dist/bench/profile-summary.js <file.cpuprofile> [lines]
 */
import { formatNumber, summarizeProfile, type ProfileLine } from './lib';

async function main(): Promise<void> {
  const [file, lines = '25'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [lines]\n');
    process.exit(2);
  }
  const top = Number(lines);
  const summary = await summarizeProfile(file);
  process.stdout.write(`${file}: ${formatNumber(summary.busyMs)} ms busy\n\n`);
  process.stdout.write(`self, by package\n${render(summary.packages.slice(0, top))}\n\n`);
  process.stdout.write(`self, by function\n${render(summary.functions.slice(0, top))}\n\n`);
  process.stdout.write(`with callees\n${render(summary.inclusive.slice(0, top))}\n`);
}

function render(lines: ProfileLine[]): string {
  return lines
    .map(
      (line) =>
        `${formatNumber(line.share * 100).padStart(6)} %  ${formatNumber(line.ms).padStart(8)} ms  ${line.name}`,
    )
    .join('\n');
}

void main();
