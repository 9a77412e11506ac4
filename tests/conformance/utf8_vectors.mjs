// Autobahn TestSuite chapter 6 (6.5 to 6.23): one text payload per case, as hex, and whether
// it is valid UTF-8 (RFC 3629, which RFC 6455 §5.6 and §8.1 require of every text message).
// Mostly Markus Kuhn's UTF-8 decoder stress test, as Autobahn uses it.
const range = (from, to, f) => Array.from({ length: to - from + 1 }, (_, i) => f(from + i));
const h2 = (n) => n.toString(16).padStart(2, '0');

const KOSME = 'cebae1bdb9cf83cebcceb5'; // κόσμε

/** [id, hex, valid] */
export const UTF8_VECTORS = [
  // 6.5 valid UTF-8 in one fragment
  ['6.5.1', '68656c6c6f24776f726c64', true], // hello$world
  ['6.5.2', '68656c6c6fc2a2776f726c64', true], // hello¢world
  ['6.5.3', '68656c6c6fe282ac776f726c64', true], // hello€world
  ['6.5.4', '68656c6c6ff0a4ada2776f726c64', true], // hello𤭢world
  ['6.5.5', KOSME, true],
  // 6.6 the prefixes of κόσμε: valid where they end on a code point
  ...range(1, 11, (i) => [`6.6.${i}`, KOSME.slice(0, 2 * i), [2, 5, 7, 9, 11].includes(i)]),
  // 6.7 first possible sequence of each length
  ['6.7.1', '00', true], ['6.7.2', 'c280', true], ['6.7.3', 'e0a080', true], ['6.7.4', 'f0908080', true],
  // 6.8 first possible 5- and 6-byte sequences (outside UTF-8)
  ['6.8.1', 'f888808080', false], ['6.8.2', 'fc8480808080', false],
  // 6.9 last possible sequence of each length
  ['6.9.1', '7f', true], ['6.9.2', 'dfbf', true], ['6.9.3', 'efbfbf', true], ['6.9.4', 'f48fbfbf', true],
  // 6.10 last possible 4-, 5- and 6-byte patterns (beyond U+10FFFF)
  ['6.10.1', 'f7bfbfbf', false], ['6.10.2', 'fbbfbfbfbf', false], ['6.10.3', 'fdbfbfbfbfbf', false],
  // 6.11 other boundaries: U+D7FF, U+E000, U+FFFD, U+10FFFF valid; U+110000 not
  ['6.11.1', 'ed9fbf', true], ['6.11.2', 'ee8080', true], ['6.11.3', 'efbfbd', true], ['6.11.4', 'f48fbfbf', true],
  ['6.11.5', 'f4908080', false],
  // 6.12 unexpected continuation bytes
  ['6.12.1', '80', false], ['6.12.2', 'bf', false], ['6.12.3', '80bf', false], ['6.12.4', '80bf80', false],
  ['6.12.5', '80bf80bf', false], ['6.12.6', '80bf80bf80', false], ['6.12.7', '80bf80bf80bf', false],
  ['6.12.8', range(0x80, 0xbf, h2).join(''), false],
  // 6.13 lonely start bytes, each followed by a space
  ['6.13.1', range(0xc0, 0xdf, (b) => h2(b) + '20').join(''), false],
  ['6.13.2', range(0xe0, 0xef, (b) => h2(b) + '20').join(''), false],
  ['6.13.3', range(0xf0, 0xf7, (b) => h2(b) + '20').join(''), false],
  ['6.13.4', range(0xf8, 0xfb, (b) => h2(b) + '20').join(''), false],
  ['6.13.5', 'fc20fd20', false],
  // 6.14 sequences with the last continuation byte missing
  ['6.14.1', 'c0', false], ['6.14.2', 'e080', false], ['6.14.3', 'f08080', false], ['6.14.4', 'f8808080', false],
  ['6.14.5', 'fc80808080', false], ['6.14.6', 'df', false], ['6.14.7', 'efbf', false], ['6.14.8', 'f7bfbf', false],
  ['6.14.9', 'fbbfbfbf', false], ['6.14.10', 'fdbfbfbfbf', false],
  // 6.15 all of 6.14 concatenated
  ['6.15.1', 'c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf', false],
  // 6.16 impossible bytes
  ['6.16.1', 'fe', false], ['6.16.2', 'ff', false], ['6.16.3', 'fefeffff', false],
  // 6.17 overlong '/'
  ['6.17.1', 'c0af', false], ['6.17.2', 'e080af', false], ['6.17.3', 'f08080af', false],
  ['6.17.4', 'f8808080af', false], ['6.17.5', 'fc80808080af', false],
  // 6.18 maximum overlong sequences
  ['6.18.1', 'c1bf', false], ['6.18.2', 'e09fbf', false], ['6.18.3', 'f08fbfbf', false],
  ['6.18.4', 'f887bfbfbf', false], ['6.18.5', 'fc83bfbfbfbf', false],
  // 6.19 overlong NUL
  ['6.19.1', 'c080', false], ['6.19.2', 'e08080', false], ['6.19.3', 'f0808080', false],
  ['6.19.4', 'f880808080', false], ['6.19.5', 'fc8080808080', false],
  // 6.20 single UTF-16 surrogates
  ...['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map((x, i) => [`6.20.${i + 1}`, x, false]),
  // 6.21 paired UTF-16 surrogates
  ...['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf']
    .map((x, i) => [`6.21.${i + 1}`, x, false]),
  // 6.22 non-characters U+xFFFE and U+xFFFF of the 17 planes: valid UTF-8
  ...range(0, 16, (plane) => [0xfffe, 0xffff].map((low) => (plane << 16) | low))
    .flat()
    .map((cp, i) => [`6.22.${i + 1}`, Buffer.from(String.fromCodePoint(cp)).toString('hex'), true]),
  // 6.23 specials U+FFF9 to U+FFFF: valid
  ...range(0xfff9, 0xffff, (cp) => cp).map((cp, i) => [`6.23.${i + 1}`, Buffer.from(String.fromCodePoint(cp)).toString('hex'), true]),
];
