/** Waits for `inFlight` to settle, or `ms` to pass, whichever comes first. Never rejects. */
export async function drain(inFlight: Set<Promise<unknown>>, ms: number): Promise<boolean> {
  if (inFlight.size === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = Promise.allSettled([...inFlight]).then(() => true as const);
  const result = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return result;
}
