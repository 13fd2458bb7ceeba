import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Debian's interpreter: it sees python3-sklearn, -numpy and -onnx, while a `python3` earlier
 * on PATH (pyenv) may not.
 */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The script that writes iris.csv and the ONNX models; it sits beside src/ and dist/. */
export const ONNX_BUILD_SCRIPT = fileURLToPath(new URL('../build_onnx_models.py', import.meta.url));

/** Runs one subcommand of build_onnx_models.py and returns what it printed. */
export type OnnxBuildStep = (args: readonly string[]) => Promise<string>;

/**
 * A step runner for build_onnx_models.py under `python`.
 *
 * @throws Error carrying the script's stderr when a step fails.
 */
export function pythonOnnxBuilder(python: string = DEFAULT_PYTHON): OnnxBuildStep {
  return async (args) => {
    try {
      const { stdout } = await execFileAsync(python, [ONNX_BUILD_SCRIPT, ...args], { encoding: 'utf8' });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${python} ${ONNX_BUILD_SCRIPT} ${args.join(' ')} failed:\n${stderr}`, {
        cause: error,
      });
    }
  };
}
