import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The module boundary check (issue 7): no module's SQL or entities touch another module's tables, and
 * modules import each other only through `index.ts`. Pure file reading plus one dependency-cruiser run,
 * so it can be pointed at `server/src` and at the fixture tree that proves it catches violations.
 *
 * What is checked, by area of `src/` (a folder under `modules/`, or `core`, or `http`):
 * - `unowned-table`: a table created by a migration (`migrations/*.ts`, `up()`) has no owner in the map;
 * - `foreign-table`: an area names another module's table in SQL (`FROM|JOIN|INTO|UPDATE|TABLE <t>` in a
 *   string or template literal), passes it as a string to a repository/QueryBuilder call, or declares an
 *   `@Entity` for it;
 * - `foreign-entity`: an area refers to another module's `@Entity` class, wherever it imported it from
 *   (an entity re-exported by an index is still the owner's table);
 * - `entity-without-table`: an `@Entity()` without an explicit table name cannot be given an owner;
 * - the import rules of `server/.dependency-cruiser.cjs` (`module-deep-import`, …), with the exceptions
 *   it explains.
 * Warnings only: cycles between modules, and map entries that no migration creates.
 * The table and entity scan skips tests (`*.spec.ts`, `*.test.ts`) and the composition roots (app.ts,
 * main.ts, cli/, jobs/, migrations/), which wire every module together; `core/data-source.ts` may name
 * every entity class because TypeORM must be handed the list.
 */
export interface Violation {
  rule: string;
  severity: 'error' | 'warn';
  /** Path from the folder that holds `src/`, e.g. `src/modules/order/order.service.ts`. */
  file: string;
  line: number;
  /** The area the file belongs to: a module name, `core`, `http` or (for unowned tables) `migrations`. */
  area: string;
  /** What was touched: a table, an entity class, an imported file or a cycle. */
  subject: string;
  /** Who owns the subject ('' when nobody does, or for a cycle). */
  owner: string;
}

export interface BoundaryReport {
  /** Every broken rule; the suite expects none on `server/src`. */
  violations: Violation[];
  /** Reported but not failing: cycles between modules. */
  warnings: Violation[];
}

/** Files that list every entity for TypeORM: they may name any entity class. */
const ENTITY_LIST_FILES = new Set(['core/data-source.ts']);

/** Repository, EntityManager and QueryBuilder methods that accept a table name as their first argument. */
const TABLE_TARGET_METHODS = new Set([
  'from', 'into', 'update', 'delete', 'insert', 'upsert', 'save', 'remove', 'softDelete', 'restore', 'increment', 'decrement',
  'getRepository', 'createQueryBuilder', 'innerJoin', 'leftJoin', 'innerJoinAndSelect', 'leftJoinAndSelect',
  'find', 'findBy', 'findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail', 'findAndCount', 'findAndCountBy',
  'count', 'countBy', 'exists', 'existsBy', 'sum', 'average', 'minimum', 'maximum', 'clear',
]);

/** A table named after an SQL keyword, optionally back-quoted (`\`` inside a template literal's source). */
const SQL_TABLE_REF = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(?:\\?`)?([A-Za-z_][A-Za-z0-9_]*)/gi;
const CREATE_TABLE = /\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\\?`)?([A-Za-z_][A-Za-z0-9_]*)/gi;
const RENAME_TABLE = /\bRENAME\s+TABLE\s+(?:\\?`)?([A-Za-z_][A-Za-z0-9_]*)(?:\\?`)?\s+TO\s+(?:\\?`)?([A-Za-z_][A-Za-z0-9_]*)/gi;
const DROP_TABLE = /\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:\\?`)?([A-Za-z_][A-Za-z0-9_]*)/gi;

const DEPCRUISE_CONFIG = path.resolve(__dirname, '../../.dependency-cruiser.cjs');

/**
 * Checks the tree under `srcDir` (a folder named `src`, laid out like `server/src`) against `owners`
 * (table → owning module; `core` for the outbox tables).
 */
export function checkBoundaries(srcDir: string, owners: Readonly<Record<string, string>>): BoundaryReport {
  if (path.basename(srcDir) !== 'src') throw new Error(`checkBoundaries wants a folder named src, got ${srcDir}`);
  const root = path.dirname(srcDir);
  const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/');
  const violations: Violation[] = [];
  const sources = listTs(srcDir).map((abs) => ({ abs, file: rel(abs), srcRel: path.relative(srcDir, abs).split(path.sep).join('/') }));

  // (a) Every table a migration leaves behind has an owner.
  const created = new Map<string, { file: string; line: number }>();
  for (const s of sources.filter((x) => x.srcRel.startsWith('migrations/')).sort((a, b) => a.srcRel.localeCompare(b.srcRel))) {
    const sf = parse(s.abs);
    for (const lit of literalsOf(upMethodsOf(sf))) {
      for (const [, name] of matchAll(RENAME_TABLE, lit.text)) created.delete(name![0]!);
      for (const [, name] of matchAll(DROP_TABLE, lit.text)) created.delete(name![0]!);
      for (const [index, name] of matchAll(CREATE_TABLE, lit.text)) created.set(name![0]!, { file: s.file, line: lineAt(sf, lit.pos + index) });
      for (const [index, names] of matchAll(RENAME_TABLE, lit.text)) created.set(names![1]!, { file: s.file, line: lineAt(sf, lit.pos + index) });
    }
  }
  for (const [table, at] of created) {
    if (!(table in owners)) violations.push({ rule: 'unowned-table', severity: 'error', ...at, area: 'migrations', subject: table, owner: '' });
  }
  // A map entry no migration creates is stale (a renamed or dropped table): worth a look, not a failure,
  // since the map may be written a step before its migration lands.
  const stale: Violation[] = Object.keys(owners)
    .filter((t) => !created.has(t))
    .map((t) => ({ rule: 'stale-owner', severity: 'warn', file: 'src/modules/ownership.ts', line: 1, area: 'ownership', subject: t, owner: owners[t]! }));
  const tables = new Set([...Object.keys(owners), ...created.keys()]);
  const ownerOf = (table: string) => owners[table] ?? '';

  // Entities: class name → the area that declares it (the owner of its table).
  const checked = sources.filter((s) => areaOf(s.srcRel) !== null && !/\.(?:spec|test)\.ts$/.test(s.srcRel));
  const parsed = checked.map((s) => ({ ...s, area: areaOf(s.srcRel)!, sf: parse(s.abs) }));
  const entityArea = new Map<string, string>();
  for (const s of parsed) {
    for (const e of entitiesOf(s.sf)) {
      const line = lineAt(s.sf, e.pos);
      if (e.table === null) {
        violations.push({ rule: 'entity-without-table', severity: 'error', file: s.file, line, area: s.area, subject: e.className, owner: '' });
        continue;
      }
      entityArea.set(e.className, s.area);
      if (ownerOf(e.table) !== s.area) {
        violations.push({ rule: 'foreign-table', severity: 'error', file: s.file, line, area: s.area, subject: e.table, owner: ownerOf(e.table) });
      }
    }
  }

  // (b) SQL and table-name targets, (c) entity classes, in every checked area.
  for (const s of parsed) {
    const seen = new Set<string>();
    const report = (rule: string, pos: number, subject: string, owner: string) => {
      const line = lineAt(s.sf, pos);
      // A foreign table once a line (each query must change); a foreign entity once a file, at its first
      // mention (usually the import: once that goes, the compiler finds the rest).
      const key = rule === 'foreign-entity' ? `${rule}:${subject}` : `${rule}:${line}:${subject}`;
      if (seen.has(key)) return;
      seen.add(key);
      violations.push({ rule, severity: 'error', file: s.file, line, area: s.area, subject, owner });
    };
    const foreignTable = (table: string) => tables.has(table) && ownerOf(table) !== s.area;
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
        const text = node.getText(s.sf);
        for (const [index, name] of matchAll(SQL_TABLE_REF, text)) {
          if (foreignTable(name![0]!)) report('foreign-table', node.getStart(s.sf) + index, name![0]!, ownerOf(name![0]!));
        }
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && TABLE_TARGET_METHODS.has(node.expression.name.text)) {
        const first = node.arguments[0];
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) && foreignTable(first.text)) {
          report('foreign-table', first.getStart(s.sf), first.text, ownerOf(first.text));
        }
      }
      if (ts.isIdentifier(node) && !ENTITY_LIST_FILES.has(s.srcRel)) {
        const owner = entityArea.get(node.text);
        if (owner !== undefined && owner !== s.area) report('foreign-entity', node.getStart(s.sf), node.text, owner);
      }
      ts.forEachChild(node, visit);
    };
    visit(s.sf);
  }

  const imports = cruise(root);
  return {
    violations: sortViolations([...violations, ...imports.filter((v) => v.severity === 'error')]),
    warnings: sortViolations([...stale, ...imports.filter((v) => v.severity !== 'error')]),
  };
}

/** One line a violation, grouped by area, for a failure message a person can act on. */
export function formatViolations(violations: readonly Violation[], pathPrefix = ''): string {
  const byArea = new Map<string, Violation[]>();
  for (const v of violations) byArea.set(v.area, [...(byArea.get(v.area) ?? []), v]);
  const lines: string[] = [];
  for (const [area, list] of [...byArea].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${area} (${list.length}):`);
    for (const v of list) lines.push(`  ${pathPrefix}${v.file}:${v.line}  ${v.rule}  ${describe(v)}`);
  }
  return lines.join('\n');
}

function describe(v: Violation): string {
  switch (v.rule) {
    case 'unowned-table':
      return `table \`${v.subject}\` has no owner: add it to src/modules/ownership.ts`;
    case 'foreign-table':
      return `${v.area} touches table \`${v.subject}\` owned by ${v.owner || 'nobody'}: ask ${v.owner || 'its owner'} through its index.ts or react to its events`;
    case 'foreign-entity':
      return `${v.area} uses entity ${v.subject} of ${v.owner}: ask ${v.owner} through its index.ts instead`;
    case 'entity-without-table':
      return `@Entity ${v.subject} has no table name, so it has no owner: write @Entity('<table>')`;
    case 'stale-owner':
      return `table \`${v.subject}\` (owner ${v.owner}) is created by no migration: remove it from the map if it is gone`;
    case 'module-cycle':
      return `cycle between modules: ${v.subject}`;
    case 'infrastructure-imports-module':
      return `imports ${v.subject} of module ${v.owner}: core/ and http/ must not depend on a module; declare an interface here and let a composition root (app.ts) pass the module in`;
    case 'module-imports-composition-root':
      return `imports the composition root ${v.subject}: modules are wired by app.ts, never the other way round`;
    default:
      return `imports ${v.subject}${v.owner ? ` (inside ${v.owner})` : ''}: import ${v.owner ? `the ${v.owner} module's index.ts` : 'through an index.ts'} instead`;
  }
}

/** `modules/<m>/…` → m; `core/…` → core; `http/…` → http; anything else is a composition root or migration. */
function areaOf(srcRel: string): string | null {
  const m = /^modules\/([^/]+)\//.exec(srcRel);
  if (m) return m[1]!;
  if (srcRel.startsWith('core/')) return 'core';
  if (srcRel.startsWith('http/')) return 'http';
  return null;
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function parse(abs: string): ts.SourceFile {
  return ts.createSourceFile(abs, readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function lineAt(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function* matchAll(re: RegExp, text: string): Generator<[number, string[]]> {
  for (const m of text.matchAll(re)) yield [m.index, m.slice(1)];
}

/** The bodies of migration `up()` methods: what a migration leaves behind (down() only undoes it). */
function upMethodsOf(sf: ts.SourceFile): ts.Node[] {
  const ups: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isMethodDeclaration(node) && node.name.getText(sf) === 'up' && node.body) ups.push(node.body);
    else ts.forEachChild(node, visit);
  };
  visit(sf);
  return ups;
}

/** String and template literals below the given nodes, as source text with the position it starts at. */
function literalsOf(nodes: ts.Node[]): Array<{ text: string; pos: number }> {
  const out: Array<{ text: string; pos: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      out.push({ text: node.getText(), pos: node.getStart() });
    }
    ts.forEachChild(node, visit);
  };
  nodes.forEach(visit);
  return out;
}

/** `@Entity('t') class X` / `@Entity({ name: 't' })` → { X, t }; `@Entity()` → table null. */
function entitiesOf(sf: ts.SourceFile): Array<{ className: string; table: string | null; pos: number }> {
  const out: Array<{ className: string; table: string | null; pos: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) && node.name) {
      for (const d of ts.getDecorators(node) ?? []) {
        const call = d.expression;
        if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== 'Entity') continue;
        const arg = call.arguments[0];
        let table: string | null = null;
        if (arg && ts.isStringLiteralLike(arg)) table = arg.text;
        else if (arg && ts.isObjectLiteralExpression(arg)) {
          const name = arg.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(sf) === 'name');
          if (name && ts.isStringLiteralLike(name.initializer)) table = name.initializer.text;
        }
        out.push({ className: node.name.text, table, pos: node.name.getStart(sf) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

interface CruiseResult {
  modules: Array<{ source: string; dependencies: Array<{ module: string; resolved: string }> }>;
  summary: { violations: Array<{ type: string; from: string; to: string; rule: { name: string; severity: string }; cycle?: Array<{ name: string }> }> };
}

/**
 * Runs dependency-cruiser's CLI (v16+ is ESM-only and jest here compiles to CommonJS, so a child process
 * is simpler than its `cruise` API) from the folder that holds `src/`, and maps each violation to the
 * line of the offending import.
 */
function cruise(root: string): Violation[] {
  const bin = findDepcruise();
  const run = spawnSync(process.execPath, [bin, '--config', DEPCRUISE_CONFIG, '--output-type', 'json', 'src'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // Exit code 0 = clean, N > 0 = N error-level violations; only output that is not JSON is a failure.
  let result: CruiseResult;
  try {
    result = JSON.parse(run.stdout) as CruiseResult;
  } catch {
    throw new Error(`dependency-cruiser failed (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  const bySource = new Map(result.modules.map((m) => [m.source, m]));
  return result.summary.violations.map((v) => {
    const specifier = bySource.get(v.from)?.dependencies.find((d) => d.resolved === v.to)?.module;
    const srcRel = v.from.replace(/^src\//, '');
    const cycle = v.cycle?.map((c) => c.name);
    return {
      rule: v.rule.name,
      severity: v.rule.severity === 'error' ? 'error' : 'warn',
      file: v.from,
      line: specifier ? importLine(path.join(root, v.from), specifier) : 1,
      area: areaOf(srcRel) ?? srcRel,
      subject: cycle ? [v.from, ...cycle].join(' → ') : v.to,
      owner: cycle ? '' : (areaOf(v.to.replace(/^src\//, '')) ?? ''),
    } satisfies Violation;
  });
}

/** The CLI's entry file, read from the package's `bin` (its file name changes between major versions). */
function findDepcruise(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'node_modules/dependency-cruiser/package.json');
    if (existsSync(pkg)) {
      const { bin } = JSON.parse(readFileSync(pkg, 'utf8')) as { bin: Record<string, string> };
      return path.join(path.dirname(pkg), bin.depcruise!);
    }
    if (path.dirname(dir) === dir) throw new Error('dependency-cruiser is not installed (pnpm install at the repository root)');
  }
}

/** The line of the first import/export/require of `specifier` in the file. */
function importLine(abs: string, specifier: string): number {
  const lines = readFileSync(abs, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`'${specifier}'`) || l.includes(`"${specifier}"`));
  return i + 1 || 1;
}

function sortViolations(vs: Violation[]): Violation[] {
  return vs.sort((a, b) => a.area.localeCompare(b.area) || a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}
