// Small hooks: loading data with refresh/polling, and a ticking clock for countdowns.

import { useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (keeps the current data on screen meanwhile). */
  reload: () => void;
  /** Replaces the data locally, e.g. with a server's answer to an action. */
  setData: (data: T) => void;
}

/**
 * Runs `load` when `key` changes (and every `pollMs`, when given, without showing a
 * spinner). A failed poll keeps the last data and reports the error.
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  pollMs?: number,
): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (quiet: boolean) => {
      if (!quiet) setLoading(true);
      loadRef
        .current(controller.signal)
        .then((value) => {
          if (controller.signal.aborted) return;
          setData(value);
          setError(undefined);
        })
        .catch((err: unknown) => {
          if (controller.signal.aborted) return;
          setError(err);
        })
        .finally(() => {
          if (controller.signal.aborted) return;
          setLoading(false);
          if (pollMs) {
            timer = setTimeout(() => run(true), pollMs);
          }
        });
    };
    run(generation > 0);
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, pollMs, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload, setData };
}

/** The current time in epoch milliseconds, updated every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}
