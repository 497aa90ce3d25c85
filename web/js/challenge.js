// The join challenge of a sale (docs/REALTIME.md, "Bots pay for places"), solved in a Web Worker so the page stays
// responsive. A proof holds for its sale and account, so it is solved once per pair and kept for a later join.
const solved = new Map(); // `${saleId}/${userId}/${bits}` -> Promise<nonce>

/** Resolves to a nonce for the sale's challenge; onProgress(tried) is called now and then while it works. */
export function solveJoinChallenge(saleId, userId, bits, onProgress = () => {}) {
  const key = `${saleId}/${userId}/${bits}`;
  if (!solved.has(key)) {
    const work = new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./challenge-worker.js', import.meta.url));
      worker.onmessage = ({ data }) => {
        if (data.nonce === undefined) { onProgress(data.tried); return; }
        worker.terminate();
        resolve(data.nonce);
      };
      worker.onerror = (e) => { worker.terminate(); solved.delete(key); reject(new Error(e.message || 'The check could not run.')); };
      worker.postMessage({ saleId, userId, bits });
    });
    solved.set(key, work);
  }
  return solved.get(key);
}
