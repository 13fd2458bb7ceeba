/**
 * Runs the command-line tools the deploy tests check artefacts with (kubectl, promtool). A
 * missing tool fails the test with the package that provides it; it is never a skip, so
 * CI cannot pass without having checked anything.
 */
import { spawnSync } from 'node:child_process';

/** A tool and where it comes from, for the failure message. */
export interface ToolSpec {
  readonly command: string;
  /** How to get it, e.g. `apt-get install prometheus`. */
  readonly install: string;
}

export const KUBECTL: ToolSpec = {
  command: 'kubectl',
  install:
    'kubectl (client 1.32 with kustomize v5; preinstalled on the CI machines, else https://kubernetes.io/docs/tasks/tools/)',
};

export const PROMTOOL: ToolSpec = {
  command: 'promtool',
  install: 'the Debian package `prometheus` (apt-get install prometheus), which contains promtool',
};

/** Where and how long a tool may run. */
export interface ToolRunOptions {
  readonly cwd?: string;
  /** Limit on the run; default 30 s. */
  readonly timeoutMs?: number;
}

/** What a finished run returned. */
export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Default limit on one tool run; kustomize and promtool take a few seconds here. */
const TOOL_TIMEOUT_MS = 30_000;
/** Largest output kept; a full kustomize build is ~30 KiB. */
const TOOL_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Runs `tool` with `args` and returns its exit status and output.
 * @throws Error naming the tool and how to install it when it is not on PATH.
 */
export function runTool(tool: ToolSpec, args: readonly string[], options: ToolRunOptions = {}): ToolResult {
  const result = spawnSync(tool.command, [...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? TOOL_TIMEOUT_MS,
    maxBuffer: TOOL_MAX_OUTPUT_BYTES,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`${tool.command} is not installed (not on PATH); install ${tool.install}`);
    }
    throw new Error(`${tool.command} ${args.join(' ')} could not run: ${result.error.message}`);
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `tool` and returns stdout; a non-zero exit throws with the tool's own output. */
export function runToolOk(tool: ToolSpec, args: readonly string[], options: ToolRunOptions = {}): string {
  const result = runTool(tool, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${tool.command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}
