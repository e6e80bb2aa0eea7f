/**
 * A device that keeps sending while a test does other things: `send(ts)` for one point after
 * another, `pauseMs` apart, each time from `nextTs()`, until `stop()`. `sent` holds the times
 * `send` completed (for a test, those ingest acknowledged), in order.
 */
export function keepSending(
  send: (ts: number) => Promise<void>,
  options: { nextTs: () => number; pauseMs: number },
) {
  const sent: number[] = [];
  let sending = true;
  const loop = (async () => {
    while (sending) {
      const ts = options.nextTs();
      await send(ts);
      sent.push(ts);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  })();
  return {
    sent,
    /** Stops sending and waits for the point in flight. */
    async stop() {
      sending = false;
      await loop;
    },
  };
}
