/** Finds and reads the config file for `serve`, `start` and `config show`, if there is one. */
import type { ServeableService } from '../service-registry.js';
import { type ConfigFile, locateConfigFile, readConfigFile, STACK_SECTION } from './config-file.js';
import { stackConfigSchema } from './stack-plan.js';

/** The schema of each section: the `stack` section's and every service's. */
export function sectionSchemas(services: readonly ServeableService[]) {
  return Object.fromEntries([
    [STACK_SECTION, stackConfigSchema],
    ...services.map((service) => [service.name, service.schema] as const),
  ]);
}

/** The config file named by `--config` or SIGHTLINE_CONFIG, or ./sightline.yaml, read and checked. */
export function loadConfigFile(options: {
  readonly flag?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly services: readonly ServeableService[];
}): ConfigFile | undefined {
  const file = locateConfigFile(options);
  return file === undefined ? undefined : readConfigFile(file, sectionSchemas(options.services));
}
