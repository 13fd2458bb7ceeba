import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServices, type ServeableService } from '../service-registry.js';
import { type ConfigFile, parseConfigFile } from './config-file.js';
import { renderConfigTemplate } from './config-template.js';
import { sectionSchemas } from './load-config-file.js';
import { defaultStackPath, planStack, resolveStackSettings } from './stack-plan.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

let services: readonly ServeableService[];
beforeAll(async () => {
  services = await loadServices();
});

function fileOf(text: string): ConfigFile {
  return parseConfigFile(text, 'sightline.yaml', sectionSchemas(services));
}

function plan(options: {
  file?: ConfigFile;
  env?: NodeJS.ProcessEnv;
  flags?: { examples?: string; data?: string };
}) {
  const stack = resolveStackSettings({
    flags: options.flags ?? {},
    file: options.file,
    repoRoot: REPO_ROOT,
    cwd: REPO_ROOT,
  });
  return planStack({ services, stack, file: options.file, env: options.env ?? {} });
}

function configOf(planned: ReturnType<typeof plan>, name: string) {
  const found = planned.find((p) => p.service.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
}

describe('the file config init writes', () => {
  it('is accepted unchanged and starts every service with the settings of no file at all', () => {
    const stack = resolveStackSettings({ flags: {}, repoRoot: REPO_ROOT, cwd: REPO_ROOT });
    const text = renderConfigTemplate({ services, stack });
    const file = fileOf(text);
    const withFile = plan({ file });
    const without = plan({});
    expect(withFile.map((p) => [p.service.name, p.config])).toEqual(
      without.map((p) => [p.service.name, p.config]),
    );
    // Not vacuous: the file does set them (the stack's layout is written out, not left to it).
    expect(configOf(withFile, 'metrics').origins.classes).toBe('file');
    expect(configOf(without, 'metrics').origins.classes).toBe('stack');
    expect(configOf(withFile, 'metrics').origins.maxReceiveMessageBytes).toBe('file');
  });

  it('has every setting of every service, with its flag and help text', () => {
    const stack = resolveStackSettings({ flags: {}, repoRoot: REPO_ROOT, cwd: REPO_ROOT });
    const text = renderConfigTemplate({ services, stack });
    expect(text).toContain(
      '  # gRPC port (0 picks a free one) (--grpc-port, SIGHTLINE_GRPC_PORT)\n  grpc-port: 8002\n',
    );
    expect(text).toContain('\nstack:\n');
    for (const service of services) {
      expect(text).toContain(`\n${service.name}:\n`);
      for (const key of Object.keys(service.schema.shape)) {
        const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        expect(text).toMatch(new RegExp(`\\n  (# )?${flag}:`));
      }
    }
    // What start derives from the stack section and the ports stays derived: commented out.
    const derived = "   # start derives it from the stack section and the other services' ports\n";
    expect(text).toContain(`  # repository: examples/models${derived}`);
    expect(text).toContain(`  # default-model-server: 127.0.0.1:8001${derived}`);
    expect(text).toContain('  grpc-port: 8001\n');
    expect(text).toContain('  examples: examples\n  # ');
  });
});

describe('planStack', () => {
  it("takes the file's setting over the stack's layout, and the environment's over the file's", () => {
    const file = fileOf('outlier:\n  grpc-port: 7002\n  log-level: debug\n');
    const outlier = configOf(plan({ file }), 'outlier');
    expect(outlier.config.grpcPort).toBe(7002);
    expect(outlier.origins.grpcPort).toBe('file');
    expect(outlier.args).toEqual(
      expect.arrayContaining(['--grpc-port', '7002', '--config', 'sightline.yaml']),
    );
    const overridden = configOf(plan({ file, env: { SIGHTLINE_LOG_LEVEL: 'warn' } }), 'outlier');
    expect(overridden.config.logLevel).toBe('warn');
    expect(overridden.origins.logLevel).toBe('env');
    expect(overridden.args).not.toContain('--log-level');
  });

  it("moves every service's directories with the stack section's data, and the flag wins over it", () => {
    const file = fileOf('stack:\n  data: /srv/sightline\n');
    expect(configOf(plan({ file }), 'drift').config.eventsDir).toBe('/srv/sightline/router/events');
    expect(configOf(plan({ file, flags: { data: '/elsewhere' } }), 'drift').config.dataDir).toBe(
      '/elsewhere/drift',
    );
  });

  it('points every address at a port the file moved', () => {
    const file = fileOf('model-server:\n  grpc-port: 7001\ndrift:\n  http-port: 7003\n');
    const planned = plan({ file });
    expect(configOf(planned, 'router').config.defaultModelServer).toBe('127.0.0.1:7001');
    expect(configOf(planned, 'explainer').config.modelServer).toBe('127.0.0.1:7001');
    expect(String(configOf(planned, 'router').config.eventsCloudeventsUrl)).toContain(
      'http://127.0.0.1:7003/events',
    );
    expect(configOf(planned, 'explainer').config.router).toBe('127.0.0.1:8000');
  });

  it('refuses a variable that would give every service the same port or data directory', () => {
    expect(() => plan({ env: { SIGHTLINE_GRPC_PORT: '7000' } })).toThrow(
      'SIGHTLINE_GRPC_PORT: would give every service of the stack the same value; set it per service in the config file instead',
    );
    expect(() => plan({ env: { SIGHTLINE_DATA_DIR: '/x' } })).toThrow(/^SIGHTLINE_DATA_DIR: /);
    expect(configOf(plan({ env: { SIGHTLINE_LOG_LEVEL: 'warn' } }), 'router').config.logLevel).toBe('warn');
  });

  it('refuses a bad variable before anything starts, naming the service', () => {
    expect(() => plan({ env: { SIGHTLINE_LOG_LEVEL: 'loud' } })).toThrow(
      /^trace-store: SIGHTLINE_LOG_LEVEL: /,
    );
  });
});

describe('defaultStackPath', () => {
  it('is relative inside the working directory and absolute outside it', () => {
    expect(defaultStackPath('/repo', 'examples', '/repo')).toBe('examples');
    expect(defaultStackPath('/repo', '.data', '/repo/tools')).toBe('/repo/.data');
    expect(defaultStackPath('/repo', 'examples', '/other')).toBe('/repo/examples');
  });
});
