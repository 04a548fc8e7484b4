// What the worker registers: every workflow of the engine.
export { fleetOperationWorkflow } from './fleet-operation';
export { waveWorkflow } from './wave';
