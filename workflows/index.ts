// What the worker registers: every workflow of the engine.
export {};
