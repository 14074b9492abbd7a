// Encode throughput of the npm peers on the same corpus as bench_tokenizers (one thread).
// Usage: NODE_PATH=<dir with node_modules> node bench/tokenizers/bench_peers.js CORPUS FIXTURES_DIR
// (npm install tokenizers tiktoken into a directory under /tmp; never commit node_modules).
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const tiktoken = require('tiktoken');

const [corpusPath, fixtures] = process.argv.slice(2);
const text = fs.readFileSync(corpusPath, 'utf8');
const mb = Buffer.byteLength(text) / 1e6;

function time(label, fn, reps = 3) {
  fn();  // warm-up
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let i = 0; i < reps; i++) n = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9 / reps;
  console.log(`${label}\t${(mb / s).toFixed(2)} MB/s\t${n} tokens`);
}

// llama3 as a tiktoken encoding: ranks = ids of the byte strings of its BPE vocabulary.
function llama3Tiktoken() {
  const j = JSON.parse(fs.readFileSync(`${fixtures}/llama3/tokenizer.json`, 'utf8'));
  const byteOf = new Map();
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  bs.forEach((b, i) => byteOf.set(String.fromCodePoint(cs[i]), b));
  const lines = [];
  for (const [tok, id] of Object.entries(j.model.vocab)) {
    const bytes = Buffer.from([...tok].map((c) => byteOf.get(c)));
    lines.push(`${bytes.toString('base64')} ${id}`);
  }
  const pat = j.pre_tokenizer.pretokenizers[0].pattern.Regex;
  return new tiktoken.Tiktoken(lines.join('\n'), {}, pat);
}

(async () => {
  const hf = {};
  for (const name of ['gpt2', 'gpt35turbo', 'llama3', 'gemma3']) {
    const t0 = process.hrtime.bigint();
    hf[name] = Tokenizer.fromFile(`${fixtures}/${name}/tokenizer.json`);
    console.log(`load/hf-tokenizers/${name}\t${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
  }
  for (const name of ['gpt2', 'gpt35turbo', 'llama3', 'gemma3']) {
    const tok = hf[name];
    // The binding is async; time the awaited call.
    await tok.encode(text, null, { addSpecialTokens: false });
    const t0 = process.hrtime.bigint();
    let enc;
    for (let i = 0; i < 2; i++) enc = await tok.encode(text, null, { addSpecialTokens: false });
    const s = Number(process.hrtime.bigint() - t0) / 1e9 / 2;
    console.log(`encode/hf-tokenizers/${name}\t${(mb / s).toFixed(2)} MB/s\t${enc.getIds().length} tokens`);
  }
  const gpt2 = tiktoken.get_encoding('gpt2');
  time('encode/tiktoken/gpt2', () => gpt2.encode(text, [], []).length);
  const cl100k = tiktoken.get_encoding('cl100k_base');
  time('encode/tiktoken/gpt35turbo', () => cl100k.encode(text, [], []).length);
  const l3 = llama3Tiktoken();
  time('encode/tiktoken/llama3', () => l3.encode(text, [], []).length);
  console.log('encode/tiktoken/gemma3\tn/a (sentencepiece BPE with byte fallback is not expressible in tiktoken)');
})();
