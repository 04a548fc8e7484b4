// Live plan edits of a running operation (a wave's knobs, a cluster moved to a later wave, a wave appended):
// their payloads, how the workflow reads them whatever the sender typed, and the rules its update validators
// apply. Pure, so the validators stay synchronous over workflow state and tests read the rules directly.
import type { Refusal } from './operator-actions';
import type { Selector } from './selector';
import { FINAL_OPERATION_STATES, type WaveStateName } from './states';
import type { ActorRef, OperationState, WaveSummary } from './workflow-contracts';

/** What select answers for a cluster moved to another wave before its turn: its old wave drops it. */
export const MOVED_AWAY = 'moved_to_another_wave';
/** An operation holds at most this many waves, appended ones included (a request declares at most 100). */
export const MAX_WAVES = 100;
/** The knobs an edit may change. */
export const EDITABLE_KNOBS = ['maxParallel', 'maxFailures', 'bakeSeconds'] as const;
export type EditableKnob = (typeof EDITABLE_KNOBS)[number];
export type WaveKnobs = Record<EditableKnob, number>;

/** `editWave`: knobs of one wave, or (without `wave`) of the running wave and every later one. */
export interface EditWaveInput extends ActorRef, Partial<WaveKnobs> {
  wave?: number;
}
export interface EditWaveResult extends Partial<WaveKnobs> {
  wave?: number;
  /** The waves that took the change. */
  waves: number[];
}

/** `moveCluster`: a cluster not started yet to a later wave that has not started. */
export interface MoveClusterInput extends ActorRef {
  clusterId: string;
  toWave: number;
  /** The cluster's wave as PostgreSQL holds it (the API sends it, so the validator can judge it). */
  fromWave?: number;
}
export interface MoveClusterResult {
  clusterId: string;
  fromWave: number;
  toWave: number;
  message: string;
}

/** `appendWave`: a new last wave of clusters not in the operation yet. */
export interface AppendWaveInput extends ActorRef, Partial<WaveKnobs> {
  name: string;
  approval?: 'none' | 'manual';
  /** The API's choice of clusters, staged in PostgreSQL (plan_edits) under this id, and how many. */
  staged?: string;
  size?: number;
  /** Without `staged` (an update sent through Temporal): the engine chooses by this selector as it appends. */
  selector?: Selector;
}
export interface AppendWaveResult {
  wave: WaveSummary;
  message: string;
}

/** Wave states after which a wave takes no more edits (and its clusters are no longer pending). */
const DONE: readonly WaveStateName[] = ['completed', 'failed', 'cancelled', 'empty'];
/** Wave states in which no child workflow has read the wave's clusters yet. */
const NOT_STARTED: readonly WaveStateName[] = ['pending', 'awaiting_approval'];
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const refuse = (reason: string, message: string): Refusal => ({ reason, message });

const objectOf = (payload: unknown): Record<string, unknown> =>
  payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim().length > 0 ? value.trim().slice(0, max) : undefined;
/** A number as sent; anything else that was sent is NaN, so the range checks name it. */
const numberOf = (value: unknown): number | undefined =>
  value === undefined ? undefined : typeof value === 'number' && Number.isFinite(value) ? value : NaN;

/** Who asks and how, read as the operator actions read it (domain/operator-actions.ts). */
export interface EditActor {
  by: string;
  via: 'api' | 'temporal';
  role: string;
  requestId?: string;
}

function readActor(raw: Record<string, unknown>): EditActor {
  const via = raw.via === 'api' ? 'api' : 'temporal';
  const requestId = text(raw.requestId, 200);
  return {
    by: text(raw.by, 200) ?? '',
    via,
    // Sent through Temporal: allowed by Temporal's own access control, not by an API role.
    role: via === 'api' ? (text(raw.role, 50) ?? 'unknown') : 'temporal',
    ...(requestId ? { requestId } : {}),
  };
}

function readKnobs(raw: Record<string, unknown>): Partial<WaveKnobs> {
  const knobs: Partial<WaveKnobs> = {};
  for (const knob of EDITABLE_KNOBS) {
    const value = numberOf(raw[knob]);
    if (value !== undefined) knobs[knob] = value;
  }
  return knobs;
}

export type ReadEdit = EditActor & Partial<WaveKnobs> & { wave?: number };
export type ReadMove = EditActor & { clusterId?: string; toWave?: number; fromWave?: number };
export type ReadAppend = EditActor &
  Partial<WaveKnobs> & { name?: string; approval?: string; staged?: string; size?: number; selector?: Selector };

export function readEdit(payload: unknown): ReadEdit {
  const raw = objectOf(payload);
  const wave = numberOf(raw.wave);
  return { ...readActor(raw), ...readKnobs(raw), ...(wave === undefined ? {} : { wave }) };
}

export function readMove(payload: unknown): ReadMove {
  const raw = objectOf(payload);
  const clusterId = text(raw.clusterId, 200);
  const toWave = numberOf(raw.toWave);
  const fromWave = numberOf(raw.fromWave);
  return {
    ...readActor(raw),
    ...(clusterId ? { clusterId } : {}),
    ...(toWave === undefined ? {} : { toWave }),
    ...(fromWave === undefined ? {} : { fromWave }),
  };
}

export function readAppend(payload: unknown): ReadAppend {
  const raw = objectOf(payload);
  const read: ReadAppend = { ...readActor(raw), ...readKnobs(raw) };
  if (raw.name !== undefined) read.name = typeof raw.name === 'string' ? raw.name : '';
  if (raw.approval !== undefined) read.approval = typeof raw.approval === 'string' ? raw.approval : '';
  const staged = text(raw.staged, 100);
  if (staged) read.staged = staged;
  const size = numberOf(raw.size);
  if (size !== undefined) read.size = size;
  const selector: unknown = raw.selector;
  if (selector !== null && typeof selector === 'object' && !Array.isArray(selector)) read.selector = selector;
  return read;
}

/** Each knob given is in the range a wave's knob takes (domain/operation.ts), or the refusal says which is not. */
function badKnob(knobs: Partial<WaveKnobs>): Refusal | null {
  const { maxParallel, maxFailures, bakeSeconds } = knobs;
  if (maxParallel !== undefined && !(Number.isInteger(maxParallel) && maxParallel >= 1 && maxParallel <= 1000))
    return refuse('invalid_value', 'maxParallel must be an integer from 1 to 1000');
  if (maxFailures !== undefined && !(Number.isInteger(maxFailures) && maxFailures >= 0))
    return refuse('invalid_value', 'maxFailures must be an integer of at least 0');
  if (bakeSeconds !== undefined && !(bakeSeconds >= 0))
    return refuse('invalid_value', 'bakeSeconds must be at least 0');
  return null;
}

/** What every edit is refused for: nobody named, or an operation that takes no more edits. */
function commonRefusal(state: OperationState, actor: EditActor, closing: boolean, payload: string): Refusal | null {
  if (!actor.by) return refuse('by_required', `every edit names who asks: send {"by": "<identity>", ${payload}}`);
  if (FINAL_OPERATION_STATES.includes(state.state) || closing) {
    const now = FINAL_OPERATION_STATES.includes(state.state) ? state.state : 'finishing';
    return refuse('operation_finished', `operation '${state.operationId}' is ${now}: its plan takes no more edits`);
  }
  return null;
}

/** `n` when it is a wave of the plan, else undefined. */
const waveOf = (n: number | undefined, waves: readonly WaveSummary[]): number | undefined =>
  n !== undefined && Number.isInteger(n) && n >= 1 && n <= waves.length ? n : undefined;

const noWave = (n: number | undefined, waves: readonly WaveSummary[]) =>
  refuse('unknown_wave', `the operation has no wave ${n}: its waves are 1 to ${waves.length}`);

/** A wave that has finished, or that the operation has passed. */
function isDone(state: OperationState, wave: number): boolean {
  const status = state.waves[wave - 1];
  return !status || DONE.includes(status.state) || (state.currentWave !== null && wave < state.currentWave);
}

export function checkEdit(
  state: OperationState,
  waves: readonly WaveSummary[],
  read: ReadEdit,
  closing: boolean,
): Refusal | null {
  const common = commonRefusal(state, read, closing, '"wave"?: <number>, "maxFailures": <number>, …');
  if (common) return common;
  if (EDITABLE_KNOBS.every((knob) => read[knob] === undefined))
    return refuse('nothing_to_change', `an edit sets at least one of ${EDITABLE_KNOBS.join(', ')}`);
  const bad = badKnob(read);
  if (bad) return bad;
  if (read.wave === undefined) return null;
  const wave = waveOf(read.wave, waves);
  if (wave === undefined) return noWave(read.wave, waves);
  if (isDone(state, wave)) {
    const status = state.waves[wave - 1]!;
    return refuse('wave_finished', `wave ${wave} '${status.name}' has finished (${status.state}): it takes no edits`);
  }
  return null;
}

export function checkMove(
  state: OperationState,
  waves: readonly WaveSummary[],
  read: ReadMove,
  closing: boolean,
): Refusal | null {
  const common = commonRefusal(state, read, closing, '"clusterId": "…", "toWave": <number>');
  if (common) return common;
  const { clusterId, toWave, fromWave } = read;
  if (!clusterId) return refuse('cluster_required', 'a move names the cluster: {"clusterId": "…", "toWave": <number>}');
  if (state.cancelRequested)
    return refuse('cancel_requested', `operation '${state.operationId}' is being cancelled: its plan takes no edits`);
  const to = waveOf(toWave, waves);
  if (to === undefined) return noWave(toWave, waves);
  const target = state.waves[to - 1]!;
  const started = target.runs > 0 || !NOT_STARTED.includes(target.state) || isDone(state, to);
  if (started)
    return refuse(
      'wave_started',
      `wave ${to} '${target.name}' has started (${target.state}): move clusters into a wave that has not`,
    );
  if (state.skipped.some((entry) => entry.clusterId === clusterId))
    return refuse('not_pending', `cluster '${clusterId}' was skipped: only a cluster not started yet can move`);
  if (fromWave === undefined) return null;
  const from = waveOf(fromWave, waves);
  if (from === undefined)
    return refuse('not_pending', `cluster '${clusterId}' is in no wave of the plan (${fromWave}): it cannot move`);
  if (from >= to)
    return refuse('not_later_wave', `cluster '${clusterId}' is in wave ${from}: it can move only to a later wave`);
  if (isDone(state, from))
    return refuse('not_pending', `wave ${from} of cluster '${clusterId}' has finished: the cluster is not pending`);
  return null;
}

export function checkAppend(
  state: OperationState,
  waves: readonly WaveSummary[],
  read: ReadAppend,
  closing: boolean,
): Refusal | null {
  const common = commonRefusal(state, read, closing, '"name": "…", "selector": {…}');
  if (common) return common;
  if (read.name === undefined || !NAME.test(read.name))
    return refuse('invalid_value', 'a wave is named like an operation: ^[a-z0-9][a-z0-9._-]{0,62}$');
  const bad = badKnob(read);
  if (bad) return bad;
  if (read.approval !== undefined && read.approval !== 'none' && read.approval !== 'manual')
    return refuse('invalid_value', 'approval is none or manual');
  if (!read.staged && !read.selector)
    return refuse('selection_required', 'an appended wave names its clusters: {"selector": {…}}');
  if (state.cancelRequested)
    return refuse('cancel_requested', `operation '${state.operationId}' is being cancelled: its plan takes no edits`);
  if (waves.some((wave) => wave.name === read.name))
    return refuse('wave_name_taken', `the operation has a wave named '${read.name}' already`);
  if (waves.length >= MAX_WAVES)
    return refuse('too_many_waves', `the operation has ${waves.length} waves, the most an operation may have`);
  if (read.size !== undefined && !(read.size >= 1))
    return refuse('empty_wave', 'the selector chose no cluster that is not in the operation already');
  return null;
}

/** The knobs a wave runs with now: maxParallel as setMaxParallel left it, the rest as edited. */
export function knobsOf(state: OperationState, wave: WaveSummary): WaveKnobs {
  const { maxParallelByWave, maxParallelOverride } = state;
  return {
    maxParallel: maxParallelByWave?.[wave.number] ?? maxParallelOverride ?? wave.maxParallel,
    maxFailures: wave.maxFailures,
    bakeSeconds: wave.bakeSeconds,
  };
}

/** What an applied edit did, in the words of its answer and audit row. */
export function editMessage(knobs: Partial<WaveKnobs>, waves: readonly number[]): string {
  const set = EDITABLE_KNOBS.filter((k) => knobs[k] !== undefined).map((k) => `${k} ${knobs[k]}`);
  const scope = waves.length === 1 ? `wave ${waves[0]}` : `waves ${waves[0]} to ${waves.at(-1)}`;
  return waves.length === 0 ? `${set.join(', ')}: no wave left to change` : `${scope}: ${set.join(', ')}`;
}
