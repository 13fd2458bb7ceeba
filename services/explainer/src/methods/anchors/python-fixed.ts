/**
 * Python's `'%.2f' % x` (Alibi writes bin edges so): the decimal nearest the double's exact
 * value, exact ties to even. JavaScript's toFixed rounds exact ties away from zero
 * ((0.125).toFixed(2) is "0.13", Python writes "0.12") and drops the sign of −0 and of
 * negatives that round to zero's sign differently, so texts would not match Alibi's.
 */
export function pythonFixed(value: number, digits = 2): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e21)
    return (
      (negative ? '-' : '') +
      BigInt(Math.round(magnitude)).toString() +
      (digits > 0 ? `.${'0'.repeat(digits)}` : '')
    );
  // toFixed(100) is the double's exact decimal expansion for every magnitude below 1e21 whose
  // fraction has at most 100 digits; beyond that the digits after the 100th cannot turn a tie.
  const exact = magnitude.toFixed(100);
  const point = exact.indexOf('.');
  const kept = exact.slice(0, point + 1 + digits);
  const rest = exact.slice(point + 1 + digits);
  let roundUp: boolean;
  if (rest[0]! > '5') roundUp = true;
  else if (rest[0]! < '5') roundUp = false;
  else if (/[1-9]/.test(rest.slice(1))) roundUp = true;
  else
    roundUp = Number(kept[kept.length - 1] === '.' ? kept[kept.length - 2] : kept[kept.length - 1]) % 2 === 1;
  const unit = digits > 0 ? kept.replace('.', '') : kept.slice(0, -1);
  let scaled = BigInt(unit);
  if (roundUp) scaled += 1n;
  let text = scaled.toString().padStart(digits + 1, '0');
  if (digits > 0) text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return (negative ? '-' : '') + text;
}
