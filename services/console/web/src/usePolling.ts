import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get } from './api';

/**
 * GETs `path` now and every `everyMs` after (live updates); after a failure it waits twice as long
 * each time, up to `maxMs`, and goes back to `everyMs` after the next success. The last good data
 * stays on screen while a refresh fails.
 */
export function usePolling<T>(path: string | null, everyMs = 10_000, maxMs = 120_000) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [generation, setGeneration] = useState(0);
  const pathRef = useRef(path);
  useEffect(() => {
    pathRef.current = path;
    setData(null);
    setError(null);
    if (path === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = everyMs;
    const tick = async () => {
      try {
        const answer = await get<T>(path);
        if (stopped) return;
        setData(answer);
        setError(null);
        setUpdatedAt(Date.now());
        delay = everyMs;
      } catch (e) {
        if (stopped) return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
        delay = Math.min(maxMs, delay * 2);
      }
      timer = setTimeout(() => void tick(), delay);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, everyMs, maxMs, generation]);
  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, updatedAt, setData, refresh };
}
