// A service's Lua steps exactly as it runs them: tools/dev/embed-lua (with
// the Makefile's arguments) writes the C file into a temporary directory and
// the strings are read back out of it. Also rebuilds each script from the
// rule the build follows (services/common/lua sorted, then
// services/<service>/lua/lib sorted when there is one, then the script, each
// file after a "-- <path>" line), so that a change to either one is seen.
// loadScripts() is the queue's; loadServiceScripts('ingress') another's.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo } from '../../integration/lib/stack.mjs';

export const COMMON = 'services/common/lua';
export const LIB = 'services/queue/lua/lib';
export const SCRIPTS = 'services/queue/lua';

// The .lua files of dir, sorted; none when there is no such directory (a
// service without helpers of its own: embed-lua skips it too).
const luaFiles = (dir) => (existsSync(path.join(repo, dir)) ? readdirSync(path.join(repo, dir)) : [])
  .filter((f) => f.endsWith('.lua') && statSync(path.join(repo, dir, f)).isFile())
  .sort()
  .map((f) => `${dir}/${f}`);

// The C string literals of `const char *const <prefix>_<name> = "..." ;`
// back into text: { name: text }.
export function fromC(c, prefix = 'queue_lua') {
  const out = {};
  let name = null;
  let text = '';
  for (const line of c.split('\n')) {
    const start = new RegExp(`^const char \\*const ${prefix}_(\\w+) =$`).exec(line);
    if (start) {
      name = start[1];
      text = '';
    } else if (name !== null && line === '    ;') {
      out[name] = text;
      name = null;
    } else if (name !== null) {
      const lit = /^ {4}"(.*)"$/.exec(line);
      if (!lit) throw new Error(`unexpected line in ${prefix}_${name}: ${line}`);
      text += lit[1].replace(/\\(.)/g, (_, ch) => ({ n: '\n', '"': '"', '\\': '\\' })[ch]);
    }
  }
  return out;
}

// What the build rule says a script is.
export function joinByRule(script, lib = LIB) {
  const part = (f) => {
    const t = readFileSync(path.join(repo, f), 'utf8');
    return `-- ${f}\n${t.endsWith('\n') ? t : `${t}\n`}`;
  };
  return [...luaFiles(COMMON), ...luaFiles(lib), script].map(part).join('');
}

// Runs embed-lua as the Makefile does for service; returns { c, scripts:
// {name: text}, byRule: {name: text}, generated: [{file, fresh, same}] }
// where generated lists the build/*/gen/lua_<service>.c found, whether it is
// newer than every source (a stale one is not compared) and whether it is
// the same text.
export function loadServiceScripts(service) {
  const lib = `services/${service}/lua/lib`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cc-lua-embed-'));
  try {
    const outC = path.join(tmp, `lua_${service}.c`);
    const scripts = luaFiles(`services/${service}/lua`);
    execFileSync(path.join(repo, 'tools/dev/embed-lua'),
      [`${service}_lua`, outC, path.join(tmp, `lua_${service}.h`), COMMON, lib, '--', ...scripts],
      { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    const c = readFileSync(outC, 'utf8');
    const byRule = Object.fromEntries(scripts.map((s) => [path.basename(s, '.lua'), joinByRule(s, lib)]));
    const sources = [...luaFiles(COMMON), ...luaFiles(lib), ...scripts, 'tools/dev/embed-lua']
      .map((f) => statSync(path.join(repo, f)).mtimeMs);
    const generated = [];
    const buildDir = path.join(repo, 'build');
    for (const b of existsSync(buildDir) ? readdirSync(buildDir).sort() : []) {
      const file = path.join(buildDir, b, `gen/lua_${service}.c`);
      if (!existsSync(file)) continue;
      const fresh = statSync(file).mtimeMs >= Math.max(...sources);
      generated.push({ file, fresh, same: readFileSync(file, 'utf8') === c });
    }
    return { c, scripts: fromC(c, `${service}_lua`), byRule, generated };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export const loadScripts = () => loadServiceScripts('queue');
