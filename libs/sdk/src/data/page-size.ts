/** The page size of a listing call, checked before it is sent. */
import { InvalidArgumentError } from '@sightline/errors';

const MAX_PAGE_FIELD = 4_294_967_295;

/**
 * The contract's `page_size` (0, the service's default, when unset).
 *
 * @throws InvalidArgumentError for a value that is not a whole number of 1 or more.
 */
export function pageSizeOf(value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_FIELD) {
    throw new InvalidArgumentError(`pageSize: must be a whole number of 1 or more, got ${value}`, {
      field: 'pageSize',
    });
  }
  return value;
}
