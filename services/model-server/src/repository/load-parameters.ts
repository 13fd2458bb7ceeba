/**
 * The parameters of RepositoryModelLoad. Sightline takes one, `config` (Triton's config
 * override: a complete model config as JSON in a string_param); Triton's `file:<path>`
 * parameters (model files sent in the request) are not supported. Any other parameter is
 * refused, naming it, rather than ignored: a caller that sends one expects it to act.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';

/** A RepositoryModelLoad parameter's value, by the protocol's kinds. */
export type LoadParameterValue = boolean | bigint | string | Uint8Array;

/** The parameters RepositoryModelLoad accepts. */
export const LOAD_PARAMETERS = ['config'] as const;

/** What the parameters ask of a load. */
export interface LoadRequestOptions {
  /** A complete config in JSON used instead of the config file. */
  readonly overrideConfigJson?: string | undefined;
}

/**
 * Reads RepositoryModelLoad's parameters.
 *
 * @throws InvalidArgumentError naming an unknown parameter, or `config` that is not a string.
 */
export function parseLoadParameters(
  parameters: Readonly<Record<string, LoadParameterValue | undefined>>,
): LoadRequestOptions {
  for (const key of Object.keys(parameters)) {
    if (!(LOAD_PARAMETERS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        `parameters[${quoteName(key)}]: unknown parameter; RepositoryModelLoad takes only ${LOAD_PARAMETERS.map((p) => `"${p}"`).join(', ')}${key.startsWith('file:') ? ' (model files in the request are not supported)' : ''}`,
      );
    }
  }
  const config = parameters.config;
  if (config === undefined) return {};
  if (typeof config !== 'string') {
    throw new InvalidArgumentError(
      'parameters["config"]: must be a string_param holding the model config as JSON',
    );
  }
  return { overrideConfigJson: config };
}
