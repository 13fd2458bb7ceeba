/** inContractTerms: the online kinds' library refusals in the contract's field names. */
import { InvalidArgumentError, UnavailableError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { inContractTerms } from './drift-data-plane.js';

describe('inContractTerms', () => {
  it("names the contract's fields for libs/stats' and libs/detect's option names", () => {
    const few = new InvalidArgumentError('nBootstraps: 50 simulations leave 2 streams; raise nBootstraps');
    expect(inContractTerms('online-cvm', few)).toMatchObject({
      message:
        'config.cvm_online.n_bootstraps: 50 simulations leave 2 streams; raise config.cvm_online.n_bootstraps',
      field: 'config.cvm_online.n_bootstraps',
    });
    const windows = new InvalidArgumentError(
      'kind "online-cvm": parameter "windowSizes" must be 1 to 16 integers',
    );
    expect((inContractTerms('online-cvm', windows) as Error).message).toBe(
      'config.cvm_online.window_sizes: must be 1 to 16 integers',
    );
    const window = new InvalidArgumentError('kind "online-mmd": parameter "windowSize" must be in [2, inf)');
    expect((inContractTerms('online-mmd', window) as Error).message).toBe(
      'config.mmd_online.window_size: must be in [2, inf)',
    );
  });

  it('leaves other kinds, other codes and messages without those names as they are', () => {
    const offline = new InvalidArgumentError('nBootstraps: x');
    expect(inContractTerms('ks', offline)).toBe(offline);
    const down = new UnavailableError('nBootstraps: x');
    expect(inContractTerms('online-mmd', down)).toBe(down);
    const plain = new InvalidArgumentError('data: 3 rows');
    expect(inContractTerms('online-mmd', plain)).toBe(plain);
  });
});
