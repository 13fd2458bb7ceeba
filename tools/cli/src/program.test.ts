import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliFrame } from './frame/cli-frame.js';
import { buildProgram } from './program.js';

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

function leaves(command: Command, path: string[] = []): [string, Command][] {
  const own = command.commands.filter((child) => child.name() !== 'help');
  if (own.length === 0) return [[path.join(' '), command]];
  return own.flatMap((child) => leaves(child, [...path, child.name()]));
}

describe('the program', () => {
  it('gives every command that calls a service --json and the connection flags', async () => {
    const frame = new CliFrame({ env: {}, stdout: sink(), stderr: sink() });
    const program = await buildProgram(frame, { cliEntry: 'main.js', repoRoot: '.' }, [
      'node',
      'sightline',
      'models',
    ]);
    // `demo` calls every service: one address flag per service instead (checked below).
    const clients = leaves(program).filter(([name]) => !/^(serve|start|config|demo)\b/.test(name));
    expect(clients.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'infer',
        'models list',
        'models load',
        'models stats',
        'graphs apply',
        'graphs validate',
      ]),
    );
    for (const [name, command] of clients) {
      const flags = command.options.map((option) => option.long);
      expect(flags, name).toEqual(
        expect.arrayContaining([
          '--json',
          '--address',
          '--tls',
          '--tls-ca',
          '--tls-cert',
          '--tls-key',
          '--token',
          '--timeout',
        ]),
      );
    }
    const demo = leaves(program).find(([name]) => name === 'demo')?.[1];
    expect(demo?.options.map((option) => option.long)).toEqual(
      expect.arrayContaining([
        '--json',
        '--router',
        '--model-server',
        '--outlier',
        '--drift',
        '--metrics',
        '--explainer',
        '--traces',
      ]),
    );
  });
});
