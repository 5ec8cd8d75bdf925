/**
 * Probes an ordinary `GET /health` from a process of its own, so the latency measured is
 * the server's, not the batch clients' (they parse megabytes of answers on their own
 * event loop). Forked by `probeOrdinaryInChild`; sends its summary when told to stop.
 */
import { probeOrdinary } from './driver.js';

const [url = ''] = process.argv.slice(2);
const stop = new Promise((resolve) => process.once('message', resolve));
process.send?.({ type: 'probing' });
const summary = await probeOrdinary(url, stop);
process.send?.({ type: 'summary', summary }, () => process.exit(0));
