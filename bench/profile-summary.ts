/**
 * Prints where a CPU profile written by a benchmark (BENCH_PROFILE=<process>) spent its time:
 * self time per package and per function, largest first.
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
  process.stdout.write(`${file}: ${formatNumber(summary.totalMs)} ms sampled\n\n`);
  process.stdout.write(`by package\n${render(summary.packages.slice(0, top))}\n\n`);
  process.stdout.write(`by function\n${render(summary.functions.slice(0, top))}\n`);
}

function render(lines: ProfileLine[]): string {
  return lines
    .map(
      (line) =>
        `${formatNumber(line.share * 100).padStart(6)} %  ${formatNumber(line.selfMs).padStart(8)} ms  ${line.name}`,
    )
    .join('\n');
}

void main();
