import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableOwners } from '../src/modules/ownership';
import { checkBoundaries, formatViolations, type Violation } from './support/boundaries';

// Module boundaries (issue 7): each table has one owning module, only the owner's SQL and entities touch
// it, and modules import each other only through index.ts. Reads files; needs no database.

const serverDir = path.resolve(__dirname, '..');
const fixtureDir = path.join(__dirname, 'fixtures/boundaries');

/** `rule file:line subject owner`, compact enough to compare whole lists. */
const brief = (v: Violation) => `${v.rule} ${v.file}:${v.line} ${v.subject} ${v.owner}`.trim();

/** The line of the fixture file that contains `text` (so the expectations survive edits above it). */
function fixtureLine(file: string, text: string): number {
  const lines = readFileSync(path.join(fixtureDir, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${file}`);
  return i + 1;
}

describe('module boundaries', () => {
  it('when the server source is checked, then no module touches another module’s tables, entities or internals', () => {
    const { violations, warnings } = checkBoundaries(path.join(serverDir, 'src'), tableOwners);
    // Reported, not failing (see .dependency-cruiser.cjs, rule module-cycle).
    if (warnings.length) console.warn(`Cycles between modules:\n${formatViolations(warnings, 'server/')}`);
    // Compared as text so a failure lists each violation: file:line, rule, what was touched and its owner.
    expect(formatViolations(violations, 'server/')).toBe('');
  });

  it('when a fixture breaks each rule once, then the check reports exactly those violations', () => {
    const { violations, warnings } = checkBoundaries(path.join(fixtureDir, 'src'), { alpha_items: 'alpha', beta_things: 'beta' });
    const beta = 'src/modules/beta/beta.service.ts';
    const migration = 'src/migrations/1700000000000-fixture.ts';
    expect(violations.map(brief).sort()).toEqual(
      [
        `unowned-table ${migration}:${fixtureLine(migration, 'CREATE TABLE IF NOT EXISTS orphan_rows')} orphan_rows`,
        `foreign-table ${beta}:${fixtureLine(beta, 'JOIN alpha_items')} alpha_items alpha`,
        `foreign-entity ${beta}:${fixtureLine(beta, "import { AlphaItemEntity } from '../alpha';")} AlphaItemEntity alpha`,
        `module-deep-import ${beta}:${fixtureLine(beta, "from '../alpha/alpha.service'")} src/modules/alpha/alpha.service.ts alpha`,
      ].sort(),
    );
    // alpha and beta import each other's index: a cycle, reported as a warning only.
    expect(warnings.map((w) => w.rule)).toContain('module-cycle');
    expect(warnings.every((w) => w.rule === 'module-cycle')).toBe(true);
    // The failure message names file, line, what was touched and who owns it.
    expect(formatViolations(violations, 'fixture/')).toContain(
      `fixture/${beta}:${fixtureLine(beta, 'JOIN alpha_items')}  foreign-table  beta touches table \`alpha_items\` owned by alpha`,
    );
  });
});
