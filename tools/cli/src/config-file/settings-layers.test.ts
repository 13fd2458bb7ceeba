import { loadConfig } from '@sightline/service-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { layerSettings, settingsFromArgs, settingsToArgs } from './settings-layers.js';

const schema = z.object({
  grpcPort: z.coerce.number().int().default(1),
  logLevel: z.string().default('info'),
});

describe('layerSettings', () => {
  it('takes flags over environment over file over stack layout over defaults, for every combination', () => {
    const layers = ['flag', 'env', 'file', 'stack'] as const;
    fc.assert(
      fc.property(fc.subarray([...layers]), (present) => {
        const has = (layer: (typeof layers)[number]) => present.includes(layer);
        const value = (layer: string) => String(10 + layers.indexOf(layer as never));
        const layered = layerSettings({
          schema,
          flags: has('flag') ? { grpcPort: value('flag') } : {},
          env: has('env') ? { SIGHTLINE_GRPC_PORT: value('env') } : {},
          file: has('file') ? new Map([['grpcPort', { value: value('file'), line: 1 }]]) : undefined,
          stack: has('stack') ? { grpcPort: value('stack') } : undefined,
        });
        const winner = layers.find(has) ?? 'default';
        expect(layered.origins.grpcPort).toBe(winner);
        expect(layered.origins.logLevel).toBe('default');
        // What the service ends up with, reading the environment itself as it does.
        const config = loadConfig(schema, {
          flags: layered.flags,
          env: has('env') ? { SIGHTLINE_GRPC_PORT: value('env') } : {},
        });
        expect(config.grpcPort).toBe(winner === 'default' ? 1 : Number(value(winner)));
      }),
    );
  });

  it('ignores an empty environment variable, as loadConfig does', () => {
    const layered = layerSettings({
      schema,
      env: { SIGHTLINE_GRPC_PORT: '' },
      file: new Map([['grpcPort', { value: '7', line: 1 }]]),
    });
    expect(layered.origins.grpcPort).toBe('file');
    expect(layered.flags).toEqual({ grpcPort: '7' });
  });

  it('passes unknown flags through for loadConfig to refuse by name', () => {
    const layered = layerSettings({ schema, flags: { grpcProt: '1' }, env: {} });
    expect(() => loadConfig(schema, { flags: layered.flags, env: {} })).toThrow(
      '--grpc-prot: unknown setting',
    );
  });
});

describe('settingsFromArgs and settingsToArgs', () => {
  it('turn flag/value pairs into settings and back', () => {
    const args = ['--grpc-port', '8001', '--events-cloudevents-url', 'http://a/events'];
    expect(settingsFromArgs(args)).toEqual({ grpcPort: '8001', eventsCloudeventsUrl: 'http://a/events' });
    expect(settingsToArgs(settingsFromArgs(args))).toEqual(args);
  });

  it('refuses args that are not pairs', () => {
    expect(() => settingsFromArgs(['--strict'])).toThrow(/--flag value pairs/);
    expect(() => settingsFromArgs(['x', 'y'])).toThrow(/--flag value pairs/);
  });
});
