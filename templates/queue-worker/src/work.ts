// What travels through the "work" queue, and what the worker makes of it.
export interface Work {
  text: string;
}

export interface Result {
  text: string;
  words: number;
  attempt: number;
}
