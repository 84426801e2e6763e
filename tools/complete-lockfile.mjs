#!/usr/bin/env node
// npm records no lockfile entry for an optional platform package (e.g. @nx/nx-darwin-arm64@24.0.6)
// when the registry it installs from does not serve that exact version, and `npm ci` then refuses
// the lockfile as "out of sync" on every platform. This adds the missing entries with the package's
// os/cpu/libc constraints (read from the newest version the registry does serve), so `npm ci` skips
// them where they do not apply and fetches them where they do. Run after `npm install` changed the lockfile.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lockPath = join(import.meta.dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
const npmCli = process.env.npm_execpath;

function constraints(name) {
  const args = ['view', name, 'os', 'cpu', 'libc', '--json'];
  const out = npmCli ? execFileSync(process.execPath, [npmCli, ...args], { encoding: 'utf8' }) : execFileSync('npm', args, { encoding: 'utf8' });
  const info = JSON.parse(out || '{}');
  const pick = (v) => (Array.isArray(v) ? v : v ? [v] : undefined);
  return { os: pick(info.os), cpu: pick(info.cpu), libc: pick(info.libc) };
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const { os, cpu, libc } = constraints(name);
    packages[hoisted] = { version, ...(cpu && { cpu }), ...(libc && { libc }), optional: true, ...(os && { os }) };
    added++;
    console.log(`added ${hoisted}@${version} (${[os, cpu, libc].filter(Boolean).map((v) => v.join('/')).join(', ')})`);
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${added} lockfile entr${added === 1 ? 'y' : 'ies'} added`);
