/** Number formatting shared by the benchmark's tables. */

export function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** µs with 3 significant-ish digits: 1.234, 12.34, 123.4. */
export function formatUs(us: number): string {
  return us >= 100 ? fmt(us, 1) : us >= 10 ? fmt(us, 2) : fmt(us, 3);
}

/** A realtime factor: 1.5×, 62.0×, 4,184×. */
export function formatX(x: number): string {
  return `${x >= 100 ? fmt(x, 0) : fmt(x, 1)}×`;
}

/** A signed number with a real minus sign: +1.25, −0.83. */
export function signed(value: number, digits: number): string {
  const text = fmt(Math.abs(value), digits);
  return Number(text.replace(/,/g, '')) === 0 ? text : `${value < 0 ? '−' : '+'}${text}`;
}
