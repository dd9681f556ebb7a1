import { describe, expect, it } from 'vitest';
import { cleanLine, stripAnsi } from '../../../src/_util/text.js';

describe('stripAnsi', () => {
  it.each<[string, string, string]>([
    ['colours (SGR)', '\u001b[31mred\u001b[39m \u001b[1;2;38;5;196mx\u001b[0m', 'red x'],
    ['cursor and erase', '\u001b[2K\u001b[1Gline\u001b[?25l', 'line'],
    ['private and intermediate bytes', '\u001b[>4;2mx\u001b[1 qy\u001b[3~z', 'xyz'],
    ['a title ended by BEL', '\u001b]0;title\u0007text', 'text'],
    ['a hyperlink ended by ST', '\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['two-character escapes', '\u001bMx\u001b\\y', 'xy'],
    ['an OSC cut short by another escape: only its introducer goes', '\u001b]0;a\u001b[31mb', '0;ab'],
    ['a lone ESC stays (cleanLine shows it as �)', 'a\u001bb', 'a\u001bb'],
    ['no escape at all', 'plain [31m text', 'plain [31m text'],
  ])('%s', (_, text, expected) => {
    expect(stripAnsi(text)).toBe(expected);
  });

  it('cleanLine replaces what is left of the control characters', () => {
    expect(cleanLine('a\u001bb\tc\u001b[31m!')).toBe('a\ufffdb c!');
  });
});
