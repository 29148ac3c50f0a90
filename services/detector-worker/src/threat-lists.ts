import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IpRangeSet, parseCidr } from '@keywatch/contracts';
import type { ThreatMatch } from './detectors/types.js';
import type { ThreatLists } from './engine.js';

/**
 * Platform threat lists from text files: one address or CIDR block per line; `#` starts a comment;
 * blank lines are skipped. A file's name (without extension) names its list in the alerts. A line
 * that is not an address or block fails the start, naming the file and line, so a typo never
 * silently drops an entry.
 */
export function parseThreatList(
  name: string,
  text: string,
): Array<{ range: NonNullable<ReturnType<typeof parseCidr>>; label: ThreatMatch }> {
  const entries: Array<{ range: NonNullable<ReturnType<typeof parseCidr>>; label: ThreatMatch }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.replace(/#.*/, '').trim();
    if (entry === '') return;
    const range = parseCidr(entry);
    if (!range) throw new Error(`threat list ${name}, line ${i + 1}: "${entry}" is not an IP address or CIDR block`);
    entries.push({ range, label: { list: name, entry } });
  });
  return entries;
}

/** Loads every file into one matcher (binary search over the merged ranges of all lists). */
export function loadThreatLists(files: readonly string[]): ThreatLists & { size: number } {
  const entries = files.flatMap((file) =>
    parseThreatList(path.basename(file).replace(/\.[^.]*$/, ''), readFileSync(file, 'utf8')),
  );
  const set = new IpRangeSet(entries);
  return { match: (ip) => set.match(ip), size: set.size };
}
