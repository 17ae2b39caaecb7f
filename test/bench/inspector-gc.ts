// A full garbage collection in another node process, through its inspector (the process runs
// with --inspect): memory benchmarks then read what is retained rather than what happens to
// be uncollected. A session is opened for each request and closed after it, so the process
// runs without a debugger attached the rest of the time.

/** Collects garbage in the process whose inspector listens at `url`; resolves to its used heap in bytes. */
export async function collectGarbage(url: string, timeoutMs = 10_000): Promise<number> {
  const socket = new WebSocket(url);
  const timer = setTimeout(() => socket.close(), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('close', () => reject(new Error(`inspector ${url}: closed before it answered`)), { once: true });
    });
    let next = 0;
    const call = (method: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = ++next;
        const onMessage = (event: MessageEvent) => {
          const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
          if (message.id !== id) return;
          socket.removeEventListener('message', onMessage);
          if (message.error) reject(new Error(`inspector ${method}: ${message.error.message}`));
          else resolve(message.result ?? {});
        };
        socket.addEventListener('message', onMessage);
        socket.addEventListener('close', () => reject(new Error(`inspector ${url}: closed before ${method} answered`)), { once: true });
        socket.send(JSON.stringify({ id, method }));
      });
    await call('HeapProfiler.collectGarbage');
    return Number((await call('Runtime.getHeapUsage')).usedSize);
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
