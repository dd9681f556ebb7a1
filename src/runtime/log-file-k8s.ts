import { copyBytes, streamAt, type LogFileFormat } from './log-file-format.js';

/*
 * podman's k8s-file driver (conmon writes it; the CRI log format): `<RFC 3339 time> <stdout|stderr> <F|P>
 * <content>` a line. `F` ends a line of the container's output: its newline is the file's own and is
 * implied; `P` is a piece with no newline after it (conmon's buffer filled, or the container wrote no
 * newline yet). `podman logs` (4.x) prints each entry's content, then a newline for an `F` entry only; with
 * `-t`, each entry after its own timestamp.
 */

const SPACE = 0x20;

export const k8sFileFormat: LogFileFormat = {
  source: 'k8s-file',
  untilStops: false,
  boundsInclusive: false,
  read(src, start, end, entry) {
    let timeEnd = start;
    while (timeEnd < end && src[timeEnd] !== SPACE) timeEnd++;
    if (timeEnd + 9 > end) return false;
    const stream = streamAt(src, timeEnd + 1, timeEnd + 7);
    const tag = src[timeEnd + 8];
    if (stream === 0 || src[timeEnd + 7] !== SPACE || (tag !== 0x46 /* F */ && tag !== 0x50) /* P */) return false;
    // "<time> stdout F" with nothing after it is an empty line, as `podman logs` reads it.
    if (timeEnd + 9 < end && src[timeEnd + 9] !== SPACE) return false;
    entry.stream = stream;
    entry.timeStart = start;
    entry.timeEnd = timeEnd;
    entry.timeBuf = null;
    entry.contentStart = Math.min(timeEnd + 10, end);
    entry.contentEnd = end;
    entry.flag = tag === 0x46;
    entry.decoded = null;
    return true;
  },
  maxContent: (entry) => entry.contentEnd - entry.contentStart + 1,
  write(src, entry, out, at) {
    const pos = copyBytes(src, entry.contentStart, entry.contentEnd, out, at);
    if (!entry.flag) return pos;
    out[pos] = 0x0a;
    return pos + 1;
  },
};
