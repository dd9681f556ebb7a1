import { cleanLine } from '../_util/text.js';
import { parseStructured, valueText, type Field, type FieldRole, type StructuredLine } from './structured.js';

/*
 * Every log line shown shortened (SUMMARY.md, index.html, the terminal digest, GitHub annotations, the
 * analysis' own copies) is shortened here, so that the words naming a cause survive wherever a line is
 * shown. A cut at a fixed width kept `…dial tcp [::1]:18094: connect: c…` of an audit store's error
 * (issue 12): the end of an error message is what names the cause.
 *
 * - A structured line (JSON object, logfmt) is shown by its salient fields first — level, logger, message,
 *   error, caller — then the other fields while there is room; an omitted field is counted (`"…":3`,
 *   `…=3`), and a JSON line stays valid JSON, so a line shortened once can be shortened again.
 * - When the salient fields alone are too long, the least useful one (caller, then logger, level, message)
 *   is cut in its middle first; an error field is cut last, and then in its middle with most of its
 *   tail kept: its end always survives.
 * - A plain line keeps its head and its tail: `head … tail`.
 */

const ELLIPSIS = '…';
/** Salient roles, in the order they are shown. */
const SHOWN: readonly FieldRole[] = ['level', 'logger', 'message', 'error', 'caller'];
/**
 * Salient roles in the order they give up characters, and how many each keeps, pass by pass: a short
 * message stays whole while a long error can give, and the error gives last in every pass, keeping its
 * end. A floor of 0 leaves the field out (it is counted with the omitted ones).
 */
const CUT_PASSES: readonly (readonly [FieldRole, number])[][] = [
  [['caller', 24], ['logger', 24], ['message', 80], ['error', 48]],
  [['caller', 8], ['logger', 12], ['message', 24]],
  [['caller', 0], ['logger', 0], ['message', 12], ['error', 24]],
  [['level', 1], ['message', 1], ['error', 1]],
];

/** Whether a UTF-16 unit is the second half of a surrogate pair (a cut there would split a character). */
function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * `text` cut to `max` characters by taking from its middle: `head…tail`, with `headShare` of the kept
 * characters before the `…`. Characters are never split.
 */
export function cutMiddle(text: string, max: number, headShare = 0.5): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  const keep = max - 1;
  let head = Math.floor(keep * headShare);
  if (head > 0 && isLowSurrogate(text.charCodeAt(head))) head--;
  let from = text.length - (keep - head);
  if (from < text.length && isLowSurrogate(text.charCodeAt(from))) from++;
  return `${text.slice(0, head)}${ELLIPSIS}${text.slice(from)}`;
}

interface Piece {
  readonly key: string;
  readonly role: FieldRole;
  /** The value as shown: cut values are strings. */
  value: unknown;
}

function pieceText(format: StructuredLine['format'], p: Piece): string {
  if (format === 'json') return `${JSON.stringify(p.key)}:${JSON.stringify(p.value) ?? 'null'}`;
  const text = valueText(p.value);
  return `${p.key}=${text === '' || /[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
}

function render(format: StructuredLine['format'], pieces: readonly Piece[], omitted: number): string {
  const all = omitted > 0 ? [...pieces, { key: ELLIPSIS, role: 'other' as const, value: omitted }] : pieces;
  const body = all.map((p) => pieceText(format, p));
  return format === 'json' ? `{${body.join(',')}}` : body.join(' ');
}

/** A field's value as it is worth showing: only the first line of a stack trace. */
function shownValue(field: Field): unknown {
  if (field.role === 'error' && typeof field.value === 'string' && /^stack/i.test(field.key)) return field.value.split('\n')[0] ?? '';
  return field.value;
}

/** Cut `piece`'s value in its middle until the line fits `max` or the value is down to `floor` characters. */
function cutPiece(format: StructuredLine['format'], pieces: readonly Piece[], omitted: number, piece: Piece, max: number, floor: number): boolean {
  let text = valueText(piece.value);
  const headShare = piece.role === 'error' ? 0.25 : 0.5;
  for (let over = render(format, pieces, omitted).length - max; over > 0; over = render(format, pieces, omitted).length - max) {
    if (text.length <= floor) return false;
    // Escapes make the shown value longer than the text: cut by what is over, then again if still over.
    text = cutMiddle(text, Math.max(floor, text.length - over), headShare);
    piece.value = text;
  }
  return true;
}

/** The salient fields of a line, in the order they are shown, as pieces to cut. */
function salientPieces(line: StructuredLine): Piece[] {
  return SHOWN.flatMap((role) => line.fields.filter((f) => f.role === role).map((f) => ({ key: f.key, role, value: shownValue(f) })));
}

function shortenStructured(line: StructuredLine, max: number): string | null {
  const salient = salientPieces(line);
  // A line shortened before says how many fields it had left out already.
  const marker = line.fields.find((f) => f.key === ELLIPSIS);
  const before = typeof marker?.value === 'number' ? marker.value : Number(marker?.value ?? 0) || 0;
  const rest = line.fields.filter((f) => !SHOWN.includes(f.role) && f !== marker);
  if (salient.length === 0) return null;
  const { format } = line;
  if (render(format, salient, before + rest.length).length <= max) {
    // Room left: the other fields, in the line's order, as many as fit.
    const shown = [...salient];
    let omitted = before + rest.length;
    for (const f of rest) {
      const candidate = [...shown, { key: f.key, role: f.role, value: f.value }];
      if (render(format, candidate, omitted - 1).length <= max) {
        shown.push(candidate.at(-1)!);
        omitted--;
      }
    }
    return render(format, shown, omitted);
  }
  let omitted = before + rest.length;
  for (const pass of CUT_PASSES) {
    for (const [role, floor] of pass) {
      for (const piece of salient.filter((p) => p.role === role)) {
        if (floor === 0) {
          salient.splice(salient.indexOf(piece), 1);
          omitted++;
          if (render(format, salient, omitted).length <= max) return render(format, salient, omitted);
        } else if (cutPiece(format, salient, omitted, piece, max, floor)) {
          return render(format, salient, omitted);
        }
      }
    }
  }
  // Too narrow for every salient field: the error last, and the end of the text kept.
  const whole = salientPieces(line);
  const errorLast = [...whole.filter((p) => p.role !== 'error'), ...whole.filter((p) => p.role === 'error')];
  return cutMiddle(render(format, errorLast, omitted), max, 0.25);
}

/**
 * A log line made safe to show (see cleanLine) and at most `max` characters long, shortened so that what
 * names the cause stays: salient fields of structured lines, head and tail of plain ones.
 */
export function shortenLine(text: string, max: number): string {
  const clean = cleanLine(text, Infinity);
  if (clean.length <= max) return clean;
  const structured = parseStructured(clean);
  const shortened = structured === null ? null : shortenStructured(structured, max);
  return shortened !== null && shortened.length <= max ? shortened : cutMiddle(clean, max);
}
