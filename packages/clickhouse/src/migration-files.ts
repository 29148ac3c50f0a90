import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationError } from './errors.js';
import { versionAtLeast, type ServerVersion } from './version.js';

/** Which servers a migration is for, from a `-- requires: 19.6` (or `< 19.6`) header line. */
export interface VersionRequirement {
  /** `>=`: the server is at least `version`; `<`: it is older (the fallback half of a pair). */
  operator: '>=' | '<';
  version: string;
}

/** One `NNNN_name.sql` file, parsed. */
export interface MigrationFile {
  version: number;
  name: string;
  /** The file name, e.g. `0001_auth_events.sql`. */
  file: string;
  /** SHA-256 (hex) of the text with line endings normalised; independent of the target database. */
  checksum: string;
  requires: VersionRequirement | undefined;
  /**
   * Checksums of earlier texts of this file that count as this one when found applied, from
   * `-- valid-checksum: <sha256>` header lines: a fix that changes no schema (e.g. SQL that current
   * servers also accept) without failing databases that applied the earlier text.
   */
  validChecksums: string[];
  /** The text as written, `${database}` not yet substituted. */
  text: string;
}

const FILE_NAME = /^(\d{4})_([A-Za-z0-9_]+)\.sql$/;
const REQUIRES = /^--\s*requires:\s*(>=|<)?\s*(\d+\.\d+)\s*$/i;
const REQUIRES_LOOSE = /^--\s*requires\s*:/i;
const VALID_CHECKSUM = /^--\s*valid-checksum:\s*([0-9a-f]{64})\s*$/i;
const VALID_CHECKSUM_LOOSE = /^--\s*valid-checksum\s*:/i;

/** Parses a migration's name and header; throws {@link MigrationError} `migration_invalid`. */
export function parseMigrationFile(file: string, text: string): MigrationFile {
  const match = FILE_NAME.exec(file);
  if (!match)
    throw new MigrationError(
      'migration_invalid',
      file,
      'name must be NNNN_name.sql (four digits, then letters, digits or _)',
    );
  const normalised = text.replace(/\r\n?/g, '\n');
  let requires: VersionRequirement | undefined;
  const validChecksums: string[] = [];
  // The header is the comment block before the first statement.
  for (const raw of normalised.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    if (VALID_CHECKSUM_LOOSE.test(line)) {
      const valid = VALID_CHECKSUM.exec(line);
      if (!valid?.[1])
        throw new MigrationError(
          'migration_invalid',
          file,
          `cannot read "${line}"; write "-- valid-checksum: " and the 64 hex digits of a SHA-256`,
        );
      validChecksums.push(valid[1].toLowerCase());
      continue;
    }
    if (!REQUIRES_LOOSE.test(line)) continue;
    const gate = REQUIRES.exec(line);
    if (!gate)
      throw new MigrationError(
        'migration_invalid',
        file,
        `cannot read "${line}"; write "-- requires: 19.6" or "-- requires: < 19.6"`,
      );
    if (requires) throw new MigrationError('migration_invalid', file, 'more than one "-- requires:" line');
    requires = { operator: gate[1] === '<' ? '<' : '>=', version: gate[2] ?? '' };
  }
  return {
    version: Number(match[1]),
    name: match[2] ?? '',
    file,
    checksum: createHash('sha256').update(normalised).digest('hex'),
    requires,
    validChecksums,
    text: normalised,
  };
}

/** Reads every `*.sql` file of `directory`, in version order; other files are ignored. */
export async function readMigrations(directory: string): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const files = await Promise.all(
    names.map(async (name) => parseMigrationFile(name, await readFile(path.join(directory, name), 'utf8'))),
  );
  files.sort((a, b) => a.version - b.version);
  files.forEach((file, i) => {
    const previous = files[i - 1];
    if (previous && previous.version === file.version) {
      throw new MigrationError(
        'migration_invalid',
        file.file,
        `version ${file.version} is also used by ${previous.file}`,
      );
    }
  });
  return files;
}

/** Whether `server` satisfies a migration's requirement (no requirement: always). */
export function meetsRequirement(server: ServerVersion, requires: VersionRequirement | undefined): boolean {
  if (!requires) return true;
  const atLeast = versionAtLeast(server, requires.version);
  return requires.operator === '>=' ? atLeast : !atLeast;
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Replaces `${name}` in a statement of `file` with `variables[name]`; any other `${…}` is an error naming the file. */
export function substitute(file: string, statement: string, variables: Readonly<Record<string, string>>): string {
  return statement.replace(PLACEHOLDER, (whole, name: string) => {
    const value = variables[name];
    if (value === undefined)
      throw new MigrationError(
        'migration_invalid',
        file,
        `unknown placeholder ${whole} (only ${Object.keys(variables)
          .map((v) => `\${${v}}`)
          .join(', ')})`,
      );
    return value;
  });
}

/**
 * Splits SQL into statements at each `;` outside quotes and comments, and drops `--` and `/* *\/`
 * comments. Quotes may hold `;`, `--` and backslash escapes.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      current += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      current += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === ';') {
      flush();
      i += 1;
    } else {
      current += c;
      i += 1;
    }
  }
  flush();
  return statements;
}
