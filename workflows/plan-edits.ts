// Live plan edits of a running operation: the editWave, moveCluster and appendWave updates. Each validator
// is synchronous over the workflow's state, so a refused edit leaves no event in history; each handler
// applies the edit (a move or an append writes PostgreSQL first, one at a time), audits it, and answers
// once the status snapshot shows it.
import { ApplicationFailure, condition, currentUpdateInfo, log, setHandler, uuid4 } from '@temporalio/workflow';
import type { Refusal } from '../domain/operator-actions';
import {
  checkAppend,
  checkEdit,
  checkMove,
  EDITABLE_KNOBS,
  editMessage,
  readAppend,
  readEdit,
  readMove,
  type AppendWaveResult,
  type EditActor,
  type EditWaveResult,
  type MoveClusterResult,
  type ReadAppend,
  type ReadEdit,
  type ReadMove,
  type WaveKnobs,
} from '../domain/plan-edits';
import { pendingWaveStatus, type WaveSummary } from '../domain/workflow-contracts';
import { BOOKKEEPING_OPTIONS, bookkeeping, withSummary } from './activity-options';
import { appendWaveUpdate, editWaveUpdate, moveClusterUpdate, waveSetMaxFailuresSignal } from './messages';
import type { OperationRun } from './operation';

/** A refusal as the update's failure: its type is the reason, which the API answers as its error code. */
const refused = ({ reason, message }: Refusal) =>
  ApplicationFailure.create({ type: reason, message, nonRetryable: true });

function throwIf(refusal: Refusal | null): void {
  if (refusal) throw refused(refusal);
}

const who = ({ by, via }: EditActor) => `by ${by} via ${via}`;

export class PlanEditor {
  constructor(private readonly run: OperationRun) {}

  register(): void {
    const { run } = this;
    setHandler(editWaveUpdate, (input) => this.edit(readEdit(input)), {
      validator: (input) => throwIf(checkEdit(run.state, run.waves(), readEdit(input), run.closing)),
      description:
        'Change maxParallel, maxFailures or bakeSeconds of one wave that has not finished, or of the running wave and every later one: {"by": "<identity>", "wave"?: <number>, "maxParallel"?: <1-1000>, "maxFailures"?: <number>, "bakeSeconds"?: <number>}',
    });
    setHandler(moveClusterUpdate, (input) => this.move(readMove(input)), {
      validator: (input) => throwIf(checkMove(run.state, run.waves(), readMove(input), run.closing)),
      description:
        'Move a cluster that has not started to a later wave that has not started: {"by": "<identity>", "clusterId": "…", "toWave": <number>}',
    });
    setHandler(appendWaveUpdate, (input) => this.append(readAppend(input)), {
      validator: (input) => throwIf(checkAppend(run.state, run.waves(), readAppend(input), run.closing)),
      description:
        'Append a wave of inventory clusters the operation does not hold yet: {"by": "<identity>", "name": "…", "selector": {…}, "maxParallel"?, "maxFailures"?, "bakeSeconds"?, "approval"?}',
    });
  }

  /** The plan's waves, copied into the state at the first edit so they can change. */
  private editable(): WaveSummary[] {
    const { state } = this.run;
    state.editedWaves ??= this.run.waves().map((wave) => ({ ...wave }));
    return state.editedWaves;
  }

  /** The edit's id: the update's, so its audit row and plan rows are written once whatever retries. */
  private editKey(): string {
    return currentUpdateInfo()?.id ?? uuid4();
  }

  private async edit(read: ReadEdit): Promise<EditWaveResult> {
    const { run } = this;
    const { state } = run;
    throwIf(checkEdit(state, run.waves(), read, run.closing));
    const knobs: Partial<WaveKnobs> = {};
    for (const knob of EDITABLE_KNOBS) if (read[knob] !== undefined) knobs[knob] = read[knob];
    const waves = this.editable();
    const from = state.currentWave ?? 1;
    const targets = read.wave !== undefined ? [read.wave] : waves.filter((w) => w.number >= from).map((w) => w.number);
    for (const number of targets) {
      const wave = waves[number - 1]!;
      if (knobs.maxFailures !== undefined) wave.maxFailures = knobs.maxFailures;
      // A baking wave notices at once: its bake ends bakeSeconds after it began.
      if (knobs.bakeSeconds !== undefined) wave.bakeSeconds = knobs.bakeSeconds;
    }
    // maxParallel keeps setMaxParallel's rules (a per-wave setting, or one for the running and later waves).
    if (knobs.maxParallel !== undefined)
      run.setMaxParallel({ maxParallel: knobs.maxParallel, by: read.by, wave: read.wave });
    const { maxFailures } = knobs;
    if (maxFailures !== undefined && state.currentWave !== null && targets.includes(state.currentWave))
      run.toWave((child) => child.signal(waveSetMaxFailuresSignal, { maxFailures }));
    run.markApplied();
    const message = editMessage(knobs, targets);
    log.info('wave knobs edited', { operationId: run.operationId, ...knobs, waves: targets, by: read.by });
    const scope = read.wave !== undefined ? { wave: read.wave } : {};
    const editKey = this.editKey();
    await bookkeeping.recordOperatorAction.executeWithOptions(
      withSummary(BOOKKEEPING_OPTIONS, `edit ${message} (${who(read)})`),
      [
        {
          actionKey: editKey,
          operationId: run.operationId,
          action: 'edit',
          by: read.by,
          role: read.role,
          via: read.via,
          ...(read.requestId ? { requestId: read.requestId } : {}),
          outcome: 'applied',
          message,
          details: { ...scope, ...knobs, waves: targets, message, editId: editKey },
        },
      ],
    );
    await run.flushIfWritten();
    return { ...scope, ...knobs, waves: targets };
  }

  /** Moves and appends write the plan one at a time, and no wave starts while one does. */
  private async exclusively<T>(write: () => Promise<T>): Promise<T> {
    const { run } = this;
    await condition(() => !run.planWriting);
    run.planWriting = true;
    try {
      return await write();
    } finally {
      run.planWriting = false;
    }
  }

  private async move(read: ReadMove): Promise<MoveClusterResult> {
    const { run } = this;
    const { state } = run;
    const result = await this.exclusively(async () => {
      // Checked again now that it holds the plan: a wave may have started while it waited.
      throwIf(checkMove(state, run.waves(), read, run.closing));
      const clusterId = read.clusterId!;
      const toWave = read.toWave!;
      const moved = await bookkeeping.moveClusterRun.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `move ${clusterId} to wave ${toWave} (${who(read)})`),
        [{ ...this.actor(read), clusterId, toWave }],
      );
      if (moved.outcome === 'rejected') throw refused(moved);
      const waves = this.editable();
      const from = waves[moved.fromWave - 1];
      if (from) from.size = Math.max(0, from.size - 1);
      waves[toWave - 1]!.size += 1;
      // A stopped wave handed it back as not started: the wave it moved to runs it now.
      state.notStarted = state.notStarted.filter((work) => work.clusterId !== clusterId);
      state.planRevision = (state.planRevision ?? 0) + 1;
      run.markApplied();
      log.info('cluster moved', { operationId: run.operationId, clusterId, fromWave: moved.fromWave, toWave });
      return { clusterId, fromWave: moved.fromWave, toWave, message: moved.message };
    });
    await run.flushIfWritten();
    return result;
  }

  private async append(read: ReadAppend): Promise<AppendWaveResult> {
    const { run } = this;
    const { state } = run;
    const result = await this.exclusively(async () => {
      throwIf(checkAppend(state, run.waves(), read, run.closing));
      const number = run.waves().length + 1;
      const name = read.name!;
      const knobs: Partial<WaveKnobs> & { approval?: 'none' | 'manual' } = {};
      for (const knob of EDITABLE_KNOBS) if (read[knob] !== undefined) knobs[knob] = read[knob];
      if (read.approval === 'manual' || read.approval === 'none') knobs.approval = read.approval;
      const appended = await bookkeeping.appendWaveRuns.executeWithOptions(
        withSummary(BOOKKEEPING_OPTIONS, `append wave ${number} '${name}' (${who(read)})`),
        [
          {
            ...this.actor(read),
            wave: { number, name, ...knobs },
            ...(read.staged ? { staged: read.staged } : {}),
            ...(read.selector ? { selector: read.selector } : {}),
          },
        ],
      );
      if (appended.outcome === 'rejected') throw refused(appended);
      const { wave } = appended;
      this.editable().push(wave);
      state.waves.push(pendingWaveStatus(number, name));
      // Its own maxParallel, not one set earlier for the running and later waves.
      if (state.maxParallelOverride !== null)
        state.maxParallelByWave = { ...state.maxParallelByWave, [number]: wave.maxParallel };
      state.planRevision = (state.planRevision ?? 0) + 1;
      run.markApplied();
      log.info('wave appended', { operationId: run.operationId, wave: number, name, size: wave.size, by: read.by });
      return { wave, message: appended.message };
    });
    await run.flushIfWritten();
    return result;
  }

  /** Who asks, with the edit's key, as the plan-edit activities record it. */
  private actor(read: EditActor) {
    return {
      editKey: this.editKey(),
      operationId: this.run.operationId,
      by: read.by,
      role: read.role,
      via: read.via,
      ...(read.requestId ? { requestId: read.requestId } : {}),
    };
  }
}
