/**
 * The CLI frame, for command groups to import from one place: the program frame, output,
 * progress, connection flags, usage errors and exit codes, `k=v` parsing.
 */
export {
  type CliEnvironment,
  CliFrame,
  type CommandContext,
  type CommandSpec,
  DEFAULT_TIMEOUT,
} from './cli-frame.js';
export {
  addConnectionOptions,
  type ConnectionFlags,
  type ResolvedConnection,
  type ResolvedTls,
  resolveConnection,
  SERVICE_ENDPOINTS,
  type ServiceName,
  SHARED_ADDRESS_ENV,
  serviceLabel,
} from './connection.js';
export { MAX_TIMEOUT_MS, parseDurationMs } from './duration.js';
export {
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_SERVER_ERROR,
  EXIT_USAGE_ERROR,
  type ExitCode,
} from './exit-codes.js';
export { describeFailure, type FailureReport } from './failure-report.js';
export { formatJsonDocument, type JsonValue, toJsonValue } from './json-document.js';
export { collect, parseHeaders, parseParameters, splitKeyValue, typedParameter } from './key-values.js';
export {
  type Cell,
  type CommandResult,
  fields,
  formatCell,
  Output,
  renderSections,
  type Section,
  table,
  text,
} from './output.js';
export {
  DURING_DELAY_MS,
  NO_PROGRESS,
  type Progress,
  type ProgressBar,
  terminalProgress,
} from './progress.js';
export { InterruptedError, UsageError } from './usage-error.js';
