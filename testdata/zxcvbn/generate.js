// generate.js writes reference.json: Dropbox's zxcvbn 4.4.2 (the npm
// package, the reference implementation) run on every row of inputs.json.
// Run it with: npm ci && node generate.js   (see README.md)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zxcvbn = require('zxcvbn');
const scoring = require('zxcvbn/lib/scoring');
const version = require('zxcvbn/package.json').version;

// zxcvbn reads the current year once, at load, and scores dates and recent
// years by their distance from it. Pinning it keeps this file reproducible in
// any year; the Go test estimates with the same year.
const REFERENCE_YEAR = 2026;
scoring.REFERENCE_YEAR = REFERENCE_YEAR;

if (version !== '4.4.2') {
  throw new Error('want zxcvbn 4.4.2, have ' + version);
}

// Digests of the reference's word lists and keyboard graphs, in a plain
// text form, so that the Go test can check that its copies are the same.
const sha256 = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const lists = require('zxcvbn/lib/frequency_lists');
const graphs = require('zxcvbn/lib/adjacency_graphs');
let listsText = '';
for (const name of Object.keys(lists)) {
  listsText += name + '\n' + lists[name].map((w) => w + '\n').join('');
}
let graphsText = '';
for (const name of ['qwerty', 'dvorak', 'keypad', 'mac_keypad']) {
  graphsText += name + '\n';
  for (const key of Object.keys(graphs[name]).sort()) {
    graphsText += key + '\t' + graphs[name][key].map((n) => (n === null ? '' : n)).join('\t') + '\n';
  }
}

const inputs = JSON.parse(fs.readFileSync(path.join(__dirname, 'inputs.json'), 'utf8'));
const rows = inputs.map((input) => {
  const r = zxcvbn(input.password, input.user_inputs || []);
  const row = { note: input.note, password: input.password };
  if (input.user_inputs) row.user_inputs = input.user_inputs;
  row.score = r.score;
  row.guesses = r.guesses;
  row.guesses_log10 = r.guesses_log10;
  // Positions are UTF-16 code units, as JavaScript counts them.
  row.sequence = r.sequence.map((m) => {
    const s = { pattern: m.pattern, i: m.i, j: m.j, guesses: m.guesses };
    if (m.pattern === 'dictionary') s.dictionary_name = m.dictionary_name;
    return s;
  });
  return row;
});

const header = {
  generator: {
    zxcvbn: version,
    node: process.version,
    node_unicode: process.versions.unicode,
    reference_year: REFERENCE_YEAR,
    frequency_lists_sha256: sha256(listsText),
    adjacency_graphs_sha256: sha256(graphsText),
    command: 'cd testdata/zxcvbn && npm ci && node generate.js',
  },
};
const out = JSON.stringify(header, null, 1).replace(/\n}$/, ',\n "rows": [\n') +
  rows.map((row) => '  ' + JSON.stringify(row)).join(',\n') + '\n ]\n}\n';
fs.writeFileSync(path.join(__dirname, 'reference.json'), out);
console.log('wrote %d rows to reference.json', rows.length);
