/** Colours the text report may use; identity functions when colour is off. */
export interface Paint {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const identity = (s: string): string => s;
export const NO_PAINT: Paint = { red: identity, green: identity, yellow: identity, dim: identity, bold: identity };
