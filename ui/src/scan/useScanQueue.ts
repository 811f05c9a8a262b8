import { useRef, useState } from 'react';

/**
 * Work started by scans, done one at a time in the order the scans came: a fast scanner
 * must not race its own scans (two tubes for one well, a batch committed before its last
 * tube was checked). `pending` counts what is still waiting; a failure goes to `onError`.
 */
export function useScanQueue(onError: (e: unknown) => void) {
  const [pending, setPending] = useState(0);
  const queue = useRef<Promise<void>>(Promise.resolve());
  function enqueue(work: () => Promise<void>) {
    setPending((n) => n + 1);
    queue.current = queue.current
      .then(work)
      .catch(onError)
      .finally(() => setPending((n) => n - 1));
  }
  return { enqueue, pending };
}
