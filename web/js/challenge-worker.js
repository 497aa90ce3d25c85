// Solves a sale's join challenge off the page's thread (docs/REALTIME.md, "Bots pay for places"): the smallest nonce
// whose SHA-256 over saleId (16 bytes) || userId (16 bytes), both in RFC 4122 order, || nonce (8 bytes, big-endian)
// starts with `bits` zero bits. The 40 bytes fit one SHA-256 block, so a try is one compression in plain integer
// JavaScript: no secure context needed (crypto.subtle is https-only) and no promise per try.
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const PROGRESS_EVERY = 1 << 16;

// A UUID's 16 bytes in RFC 4122 order (its hex digits left to right) as four big-endian 32-bit words.
const words = (uuid) => {
  const hex = String(uuid).replace(/-/g, '');
  return [0, 1, 2, 3].map((i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0);
};

/** The first 32 bits of SHA-256(prefix || hi || lo) for the 32-byte prefix as 8 words (the rest is the padding of 40 bytes). */
function firstWord(w, hi, lo) {
  w[8] = hi; w[9] = lo; w[10] = 0x80000000 | 0; w[11] = 0; w[12] = 0; w[13] = 0; w[14] = 0; w[15] = 320;
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15], y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  return (H[0] + a) >>> 0;
}

function solve(saleId, userId, bits, progress) {
  if (!(bits > 0)) return 0;
  const w = new Int32Array(64);
  w.set([...words(saleId), ...words(userId)]);
  const shift = 32 - bits; // bits is at most 28 (the host's limit), so the first word decides
  for (let n = 0; ; n++) {
    if (firstWord(w, (n / 4294967296) | 0, n | 0) >>> shift === 0) return n;
    if (n % PROGRESS_EVERY === 0 && n > 0) progress(n);
  }
}

self.onmessage = ({ data }) => {
  const started = performance.now();
  const nonce = solve(data.saleId, data.userId, data.bits, (tried) => self.postMessage({ tried }));
  self.postMessage({ nonce, tried: nonce + 1, ms: Math.round(performance.now() - started) });
};
